"""summary.json: built from a run, valid against its published schema, comparable, drawable."""

from __future__ import annotations

import base64
import copy
import json
import re

import jsonschema
import pytest

from loadtests.pacing import ScheduleStats
from loadtests.recorder import Outcome, Recorder
from loadtests.reliability import judge_reliability
from loadtests.report_html import render, write_report
from loadtests.stackmetrics import StackSample
from loadtests.summary import (
    ReportError,
    RunFacts,
    build_summary,
    compare,
    read_summary,
    schema,
    validate,
    write_summary,
)
from scenarios import load_scenario

STARTED = 1_700_000_000.0


def recorded(scale=1.0):
    recorder = Recorder()
    for i in range(200):
        when = STARTED + i * 0.05
        recorder.record("GET /feed", Outcome.ok, 5.0 * scale + i % 7, late_ms=i % 3, when=when)
        if i % 4 == 0:
            recorder.record("POST /tweets", Outcome.ok, 12.0 * scale, when=when)
        if i % 50 == 0:
            recorder.record("POST /tweets", Outcome.rate_limited, 1.0, when=when)
    recorder.record("GET /search", Outcome.error, 3.0, when=STARTED + 1, error_kind="HTTP 503")
    return recorder


def summary_of(name="timeline-mix", scale=1.0, samples=None):
    scenario = load_scenario(name)
    facts = RunFacts(
        scenario=scenario,
        generator_mode="locust-local x1",
        processes=1,
        users=40,
        host="http://127.0.0.1:8080",
        locust_version="2.x",
        started_at=STARTED,
        finished_at=STARTED + 10,
    )
    schedule = ScheduleStats(issued=300) if scenario.model == "open" else None
    recorder = recorded(scale)
    totals = recorder.totals()
    reliability = judge_reliability(
        {"local": [30.0] * 10},
        [60.0] * 10,
        schedule,
        requests=totals.requests,
        rate_limited=totals.rate_limited,
    )
    stack = (
        samples
        if samples is not None
        else [
            StackSample(0.0, lag={"fanout": 0.0}, cache={"gateway-1": (0.0, 0.0)}),
            StackSample(5.0, lag={"fanout": 25.0}, cache={"gateway-1": (95.0, 5.0)}),
        ]
    )
    return build_summary(facts, recorder, stack, reliability)


def test_an_open_model_summary_validates_and_reports_both_latencies():
    summary = summary_of()
    validate(summary)
    feed = next(row for row in summary["endpoints"] if row["name"] == "GET /feed")
    assert feed["requests"] == 200 and feed["rps"] == 20.0
    assert feed["corrected_latency_ms"]["p99"] >= feed["latency_ms"]["p99"]
    assert summary["slo"]["judged_on"] == "corrected"
    assert summary["stack"]["feed_cache_hit_rate"]["value"] == 0.95
    assert summary["stack"]["consumer_lag"]["max"] == 25.0
    assert summary["totals"]["rate_limited"] == 4 and summary["totals"]["errors"] == 1
    assert summary["reliability"]["schedule"]["scheduled"] == 300
    assert {o["verdict"] for o in summary["slo"]["objectives"]} <= {"PASS", "FAIL", "NOT_MEASURED"}
    assert summary["exit_code"] == (0 if summary["slo"]["passed"] else 1)


def test_a_closed_model_summary_has_no_corrected_figures():
    summary = summary_of("smoke", samples=[])
    validate(summary)
    assert all(row["corrected_latency_ms"] is None for row in summary["endpoints"])
    assert summary["stack"]["consumer_lag"]["measured"] is False
    assert summary["reliability"]["schedule"] is None


def test_the_schema_refuses_what_is_not_a_summary():
    good = summary_of()
    for breaking in (
        lambda s: s.pop("endpoints"),
        lambda s: s["slo"]["objectives"][0].update(verdict="MAYBE"),
        lambda s: s["endpoints"][0].update(name="feed"),
        lambda s: s.update(schema_version=2),
    ):
        broken = copy.deepcopy(good)
        breaking(broken)
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_the_schema_itself_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_written_summaries_read_back_and_compare(tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    write_summary(summary_of(scale=2.0), old_dir)
    write_summary(summary_of(scale=1.0), new_dir)
    old, new = read_summary(old_dir), read_summary(new_dir / "summary.json")
    diff = compare(old, new)
    post = next(row for row in diff["endpoints"] if row["name"] == "POST /tweets")
    assert post["p50_ms"]["new"] < post["p50_ms"]["old"] and post["p50_ms"]["percent"] < 0
    assert post["rps"]["delta"] == 0
    assert {o["name"] for o in diff["objectives"]} >= {"write_p99_ms", "error_rate"}


def test_reading_a_bad_report_is_one_line(tmp_path):
    with pytest.raises(ReportError, match="no report at"):
        read_summary(tmp_path)
    (tmp_path / "summary.json").write_text(json.dumps({"kind": "other"}))
    with pytest.raises(ReportError, match="not a chirp load summary"):
        read_summary(tmp_path)


def test_the_html_report_is_self_contained_with_plots(tmp_path):
    path = write_report(summary_of(), tmp_path)
    page = path.read_text()
    assert "http://" not in page.replace("http://127.0.0.1:8080", "") and "<script" not in page
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 5
    for data in images:
        png = base64.b64decode(data)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert "FAIL" in page or "PASS" in page


def test_a_report_renders_with_nothing_measured():
    summary = summary_of("smoke", samples=[])
    summary["endpoints"] = []
    summary["timeline"]["points"] = []
    assert render(summary).count("<img") == 5


FIRED = {
    "name": "ConsumerLagAboveTarget",
    "severity": "warning",
    "summary": "fanout is … messages behind (target < 1,000)",
    "labels": {"group": "fanout"},
    "first_firing_at": "2023-11-14T22:13:30+00:00",
    "last_firing_at": "2023-11-14T22:14:10+00:00",
    "firing_s": 42.0,
    "spells": 2,
}
GRAPH = "http://127.0.0.1:9090/graph?g0.expr=ALERTS&g0.range_input=10s"


def with_alerts(alerts, url=GRAPH, note=None):
    summary = summary_of()
    summary.update(alerts=alerts, prometheus_url=url)
    summary.pop("alerts_note", None)
    if note is not None:
        summary["alerts_note"] = note
    return summary


def test_a_summary_carries_its_alert_history_and_validates():
    from infra.local.prometheus import AlertHistory, fold_firing

    matrix = [
        {
            "metric": {"alertname": "ComponentDown", "severity": "critical", "component": "relay"},
            "values": [[STARTED + 2, "1"], [STARTED + 4, "1"]],
        }
    ]
    history = AlertHistory(fold_firing(matrix, 2), GRAPH)
    summary = summary_of()
    summary.update(history.as_dict())
    summary.pop("alerts_note")
    validate(summary)
    assert summary["alerts"][0]["name"] == "ComponentDown"
    validate(with_alerts([]))
    validate(with_alerts(None, url=None, note="Prometheus is not running"))


def test_a_summary_without_alert_history_says_so():
    summary = summary_of()
    validate(summary)
    assert summary["alerts"] is None and summary["prometheus_url"] is None
    assert summary["alerts_note"]


def test_summaries_from_before_the_alert_history_still_validate():
    summary = summary_of()
    for key in ("alerts", "prometheus_url", "alerts_note"):
        summary.pop(key)
    validate(summary)


def test_the_schema_refuses_a_malformed_alert():
    for breaking in (
        lambda a: a.pop("severity"),
        lambda a: a.update(spells=0),
        lambda a: a.update(labels={"group": 1}),
    ):
        alert = copy.deepcopy(FIRED)
        breaking(alert)
        with pytest.raises(jsonschema.ValidationError):
            validate(with_alerts([alert]))
    with pytest.raises(jsonschema.ValidationError):
        validate(with_alerts([FIRED], url="127.0.0.1:9090/graph"))


def test_the_html_report_lists_fired_alerts_and_links_prometheus():
    page = render(with_alerts([FIRED]))
    section = page.split("<h2>Alerts</h2>", 1)[1].split("<h2>", 1)[0]
    assert "ConsumerLagAboveTarget" in section and "group=fanout" in section
    assert "42 s (2 spells)" in section
    assert "fanout is … messages behind (target &lt; 1,000)" in section
    assert f"href='{GRAPH.replace('&', '&amp;')}'" in section


def test_the_html_report_says_when_nothing_fired_or_nobody_knows():
    none_fired = render(with_alerts([])).split("<h2>Alerts</h2>", 1)[1]
    assert none_fired.startswith("\n<p>No alert fired during the run.</p>")
    unknown = render(with_alerts(None, url=None, note="Prometheus is not running"))
    section = unknown.split("<h2>Alerts</h2>", 1)[1].split("<h2>", 1)[0]
    assert "Alerts unknown: Prometheus is not running" in section and "href" not in section
