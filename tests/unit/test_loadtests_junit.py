"""JUnit XML: the generic writer, and a load run's gates as test cases, read back with
xml.etree as a CI system would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chirp.loadtests.junit import JUnitCase, write_junit
from chirp.loadtests.outcome import junit_cases
from tests.unit.test_loadtests_summary import summary_of


def read(path):
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    return suite, {case.get("name"): case for case in suite.findall("testcase")}


def status(case):
    children = [child.tag for child in case]
    assert len(children) <= 1
    return children[0] if children else "pass"


def test_pass_fail_and_skip_become_the_elements_ci_reads(tmp_path):
    path = tmp_path / "deep" / "slo.xml"
    write_junit(
        path,
        "chirp load smoke",
        [
            JUnitCase("feed_read_p50_ms", "chirp.load.smoke", "pass", "9 ms", 1.5),
            JUnitCase("feed_read_p99_ms", "chirp.load.smoke", "fail", "131 ms, wanted < 50 ms"),
            JUnitCase("feed_read_p999_ms", "chirp.load.smoke", "skip", "not enough samples"),
        ],
    )
    suite, cases = read(path)
    assert suite.get("name") == "chirp load smoke"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    assert suite.get("errors") == "0"
    assert {name: status(case) for name, case in cases.items()} == {
        "feed_read_p50_ms": "pass",
        "feed_read_p99_ms": "failure",
        "feed_read_p999_ms": "skipped",
    }
    assert cases["feed_read_p99_ms"][0].get("message") == "131 ms, wanted < 50 ms"
    assert cases["feed_read_p50_ms"].get("classname") == "chirp.load.smoke"
    assert float(cases["feed_read_p50_ms"].get("time")) == 1.5


def test_writing_again_replaces_the_file(tmp_path):
    path = tmp_path / "slo.xml"
    write_junit(path, "first", [JUnitCase("a", "x", "fail", "no")])
    write_junit(path, "second", [JUnitCase("a", "x", "pass")])
    suite, cases = read(path)
    assert suite.get("name") == "second" and status(cases["a"]) == "pass"


def test_an_unknown_status_is_refused(tmp_path):
    with pytest.raises(ValueError, match="pass, fail or skip"):
        write_junit(tmp_path / "x.xml", "s", [JUnitCase("a", "x", "error")])  # type: ignore[arg-type]


def test_a_load_run_has_a_case_per_objective_and_per_gate(tmp_path):
    summary = summary_of(cpu=100.0)
    path = tmp_path / "load.xml"
    write_junit(path, "chirp load timeline-mix", junit_cases(summary))
    suite, cases = read(path)
    objectives = summary["slo"]["objectives"]
    assert int(suite.get("tests")) == len(objectives) + 2
    assert set(cases) == {o["name"] for o in objectives} | {
        "run is reliable",
        "run was not aborted",
    }
    assert status(cases["feed_read_p50_ms"]) == "pass"
    p99 = cases["feed_read_p99_ms"]
    assert status(p99) == "skipped"
    assert p99[0].get("message") == "not enough samples: 200 of 1,000 (wanted < 50 ms)"
    assert status(cases["run is reliable"]) == "failure"  # 100 % generator CPU
    assert "90 % CPU" in cases["run is reliable"][0].get("message")
    assert status(cases["run was not aborted"]) == "pass"
    assert int(suite.get("failures")) == 1  # exactly what made the run exit 1
    assert summary["exit_code"] == 1


def test_allowed_unreliability_is_skipped_and_regressions_are_a_case():
    baseline = summary_of()
    summary = summary_of(cpu=100.0, allow_unreliable=True, baseline=baseline, tolerance=0.1)
    cases = {c.name: c for c in junit_cases(summary)}
    assert cases["run is reliable"].status == "skip"
    assert cases["no regression past 10%"].status == "pass"
    slower = summary_of(scale=2.0, baseline=baseline, tolerance=0.1)
    regression = {c.name: c for c in junit_cases(slower)}["no regression past 10%"]
    assert regression.status == "fail" and "POST /tweets p50" in regression.message


def test_a_failed_objective_says_what_was_measured_and_wanted():
    summary = summary_of(scale=4.0)  # posts take 48 ms: over the 30 ms p50
    case = {c.name: c for c in junit_cases(summary)}["write_p50_ms"]
    assert case.status == "fail"
    assert case.message == "POST /tweets p50: 48.031 ms, wanted < 30 ms"
