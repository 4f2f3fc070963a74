"""`chirp chaos` end to end against the session stack: real faults, real rollbacks, the
journal, the ledger, and a healthy stack afterwards. Figures are reported, never asserted."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from chirp.stack.tweets import backpressure
from tests.promlink import covers
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration

SHORT_S = "20"  # baseline + fault + recovery; the after phase still waits for recovery
JOURNAL_KEYS = {
    "drill",
    "verdict",
    "reasons",
    "environment",
    "timeline",
    "measures",
    "phases",
    "checks",
    "actions",
    "rollbacks",
    "ledger",
    "load",
    "samples",
    "alerts",
    "prometheus_url",
}


def _components(stack: StackEnv) -> dict[str, str]:
    done = stack.chirp("status", "--json")
    assert done.returncode == 0, done.stderr
    return {c["name"]: c["state"] for c in json.loads(done.stdout)["components"]}


@pytest.fixture
def healthy_after(stack: StackEnv) -> Iterator[None]:
    """Whatever a drill did, the next test finds every component up (and this one fails
    if the drill's own rollbacks did not see to it)."""
    yield
    down = [name for name, state in _components(stack).items() if state != "up"]
    if down:
        stack.chirp("up")
    assert not down, f"components left down after the drill: {down}"


def _drill(stack: StackEnv, name: str, report: Path) -> tuple[int, dict, dict]:
    done = stack.chirp(
        "chaos", name, "--duration", SHORT_S, "--no-load", "--report-dir", str(report), "--json",
        "--junit", str(report / "junit.xml"), timeout=900,
    )  # fmt: skip
    assert done.returncode in (0, 1), f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    summary = json.loads(done.stdout)
    journal_file = report / "journal.json"
    assert journal_file.is_file()
    assert Path(summary["journal"]) == journal_file
    return done.returncode, summary, json.loads(journal_file.read_text())


def _assert_sound(code: int, summary: dict, journal: dict, name: str) -> None:
    assert set(journal) >= JOURNAL_KEYS
    assert journal["drill"] == name
    assert journal["verdict"] in ("PASS", "FAIL")
    assert code == (0 if journal["verdict"] == "PASS" else 1)
    assert summary["verdict"] == journal["verdict"]
    for check in journal["checks"]:
        assert {"name", "kind", "verdict", "observed", "bound"} <= set(check)
        assert check["verdict"] in ("PASS", "FAIL")
    events = [e["event"] for e in journal["timeline"]]
    for expected in ("baseline", "injected", "restored", "rolled_back", "after", "verify"):
        assert expected in events
    phases = {s["phase"] for s in journal["samples"]}
    assert {"baseline", "during", "after"} <= phases, "probes sampled throughout"
    method = [a for a in journal["actions"] if a["stage"] == "method"]
    assert [a["ok"] for a in method] == [True] * len(method)
    assert journal["rollbacks"] and all(r["ok"] for r in journal["rollbacks"])
    ledger = journal["ledger"]
    assert ledger["acknowledged"] > 0
    assert ledger["lost"] == [], f"acknowledged writes lost: {ledger['findings']}"
    assert ledger["duplicated"] == []
    assert journal["stack_after"]["down"] == []
    assert (Path(journal["environment"]["run_dir"]) / "pids").is_dir()
    # The session stack runs Prometheus: the alerts of the drill are known, and linked.
    assert isinstance(journal["alerts"], list), journal.get("alerts_note")
    assert covers(journal["prometheus_url"], journal["started_at"], journal["finished_at"])
    assert summary["alerts"] == journal["alerts"]
    _assert_junit_mirrors_the_checks(Path(summary["journal"]).parent / "junit.xml", journal)
    figures = {k: journal["measures"][k] for k in ("time_to_detect_s", "time_to_recover_s")}
    print(f"{name}: verdict {journal['verdict']}, {figures}")  # reported, not asserted


def _assert_junit_mirrors_the_checks(path: Path, journal: dict) -> None:
    suite = ET.parse(path).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert suite.get("name") == f"chirp chaos {journal['drill']}"
    # a case per check, and "drill ran to the end"
    assert len(suite.findall("testcase")) == len(journal["checks"]) + 1
    for check in journal["checks"]:
        failed = cases[check["name"]].find("failure") is not None
        assert failed == (check["verdict"] == "FAIL"), check
    assert int(suite.get("failures")) == sum(c["verdict"] == "FAIL" for c in journal["checks"])


def test_gateway_failover_end_to_end(stack, tmp_path, healthy_after):
    code, summary, journal = _drill(stack, "gateway-failover", tmp_path / "failover")
    _assert_sound(code, summary, journal, "gateway-failover")
    killed = journal["actions"][0]
    assert killed["type"] == "kill" and "gateway-1" in killed["description"]
    assert _components(stack)["gateway-1"] == "up"
    after = journal["phases"]["after"]["answers_by_node"]
    assert after.get("1", 0) > 0, "gateway-1 answers again after the restart"


def test_worker_crash_end_to_end(stack, tmp_path, healthy_after):
    code, summary, journal = _drill(stack, "worker-crash", tmp_path / "worker")
    _assert_sound(code, summary, journal, "worker-crash")
    assert journal["plan"]["method"][0]["target"] == "fanout"
    assert _components(stack)["fanout"] == "up"
    page = (tmp_path / "worker" / "summary.md").read_text()
    assert page.startswith("# chirp chaos worker-crash")
    assert "\n## Alerts\n" in page and "The drill's time range in Prometheus" in page


def test_kafka_lag_lowers_the_threshold_at_run_time_and_puts_it_back(
    stack, res, tmp_path, healthy_after
):
    backpressure.set_threshold(res.redis, None)
    code, summary, journal = _drill(stack, "kafka-lag", tmp_path / "lag")
    _assert_sound(code, summary, journal, "kafka-lag")
    lowered = journal["actions"][0]
    assert lowered["type"] == "set_backpressure" and lowered["ok"], lowered
    assert "threshold 50" in lowered["detail"]
    restored = [r for r in journal["rollbacks"] if r["type"] == "restore_backpressure"]
    assert restored and restored[0]["ok"]
    assert backpressure.threshold(res.redis) is None, "the rollback put the setting back"


def test_a_drill_that_cannot_run_touches_nothing(stack, tmp_path, healthy_after):
    before = stack.chirp("status", "--json")
    pids_before = {c["name"]: c["pid"] for c in json.loads(before.stdout)["components"]}
    # This drill needs a low CHIRP_BACKPRESSURE_LAG; the session stack runs the default.
    drill = tmp_path / "needs-low-threshold.toml"
    drill.write_text(
        'description = "x"\n[requires]\nbackpressure_lag_at_most = 50\n'
        '[[method]]\ntype = "kill"\ntarget = "fanout"\n'
    )
    done = stack.chirp("chaos", str(drill), "--no-load", "--report-dir", str(tmp_path / "k"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "CHIRP_BACKPRESSURE_LAG" in done.stderr
    journal = json.loads((tmp_path / "k" / "journal.json").read_text())
    assert journal["verdict"] == "ERROR"
    assert journal["actions"] == []
    after = stack.chirp("status", "--json")
    assert {c["name"]: c["pid"] for c in json.loads(after.stdout)["components"]} == pids_before


def test_a_bad_drill_file_is_refused_with_its_field(stack, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\n[[method]]\ntype = "explode"\n')
    done = stack.chirp("chaos", str(bad))
    assert done.returncode == 2
    assert "method[0].type" in done.stderr and str(bad) in done.stderr.replace("\n", "")
    assert "Traceback" not in done.stderr


def test_list_names_every_drill(stack):
    done = stack.chirp("chaos", "list", "--json")
    assert done.returncode == 0, done.stderr
    names = {d["name"] for d in json.loads(done.stdout)}
    assert {"gateway-failover", "worker-crash", "cache-loss", "kafka-lag"} <= names


def test_edge_loss_end_to_end(stack, tmp_path, healthy_after):
    code, summary, journal = _drill(stack, "edge-loss", tmp_path / "edge-loss")
    _assert_sound(code, summary, journal, "edge-loss")
    loss = journal["actions"][0]
    assert loss["type"] == "edge_loss" and "SIGKILL to edge" in loss["detail"]
    assert "hit ratio above 0.9 again" in loss["detail"]
    assert "req/s without it" in loss["detail"]  # the origin's load, reported
    assert _components(stack)["edge"] == "up"


def test_edge_stale_end_to_end(stack, tmp_path, healthy_after):
    code, summary, journal = _drill(stack, "edge-stale", tmp_path / "edge-stale")
    _assert_sound(code, summary, journal, "edge-stale")
    stale = journal["actions"][0]
    assert stale["type"] == "edge_stale" and stale["ok"]
    assert "none served by the edge" in stale["detail"]
