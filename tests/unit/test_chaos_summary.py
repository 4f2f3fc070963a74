"""A drill journal's checks as JUnit cases (the journal dict alone, as stored)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from chirp.infra.chaos.summary import junit_cases
from chirp.loadtests.junit import write_junit


def journal(verdict="FAIL", checks=None, reasons=()):
    return {
        "drill": "gateway-failover",
        "verdict": verdict,
        "elapsed_s": 61.5,
        "reasons": list(reasons),
        "checks": checks
        if checks is not None
        else [
            {
                "name": "errors stay low",
                "kind": "hypothesis",
                "verdict": "PASS",
                "observed": 0.0,
                "bound": "error_rate <= 0.05",
            },
            {
                "name": "ledger: no acknowledged write lost",
                "kind": "ledger",
                "verdict": "FAIL",
                "observed": 2,
                "bound": "== 0",
            },
        ],
    }


def test_each_check_is_a_case_and_a_finished_drill_ran_to_the_end(tmp_path):
    path = tmp_path / "chaos.xml"
    write_junit(path, "chirp chaos gateway-failover", junit_cases(journal()))
    suite = ET.parse(path).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "0")
    lost = cases["ledger: no acknowledged write lost"]
    assert lost.get("classname") == "chirp.chaos.gateway-failover.ledger"
    assert lost.find("failure").get("message") == "observed 2, wanted == 0"
    assert list(cases["errors stay low"]) == []
    ran = cases["drill ran to the end"]
    assert list(ran) == [] and float(ran.get("time")) == 61.5


def test_a_drill_that_could_not_run_fails_its_only_case():
    cases = junit_cases(journal("ERROR", checks=[], reasons=["CHIRP_BACKPRESSURE_LAG is too high"]))
    assert [(c.name, c.status) for c in cases] == [("drill ran to the end", "fail")]
    assert cases[0].message == "ERROR: CHIRP_BACKPRESSURE_LAG is too high"


def test_an_aborted_drill_keeps_its_checks_and_fails_the_end_case():
    cases = junit_cases(journal("ABORTED", reasons=["abort guard: p99 900 ms passed 500 ms"]))
    assert [c.status for c in cases] == ["pass", "fail", "fail"]
    assert cases[-1].message.startswith("ABORTED: abort guard")
