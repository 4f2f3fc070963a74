"""summary.json: built from a run, valid against its published schema, comparable, drawable."""

from __future__ import annotations

import base64
import copy
import json
import re

import jsonschema
import pytest

from chirp.core.errors import ReportError
from chirp.loadtests.compare import compare
from chirp.loadtests.outcome import Gates
from chirp.loadtests.pacing import ScheduleStats
from chirp.loadtests.recorder import Outcome, Recorder
from chirp.loadtests.reliability import judge_reliability
from chirp.loadtests.report_html import render, write_report
from chirp.loadtests.stackmetrics import StackSample
from chirp.loadtests.summary import (
    RunFacts,
    build_summary,
    read_summary,
    schema,
    validate,
    write_summary,
)
from chirp.scenarios import load_scenario

STARTED = 1_700_000_000.0
WARMUP_S = 10.0  # the shipped scenarios' default


def recorded(scale=1.0):
    """20 s of requests: the first 10 s warm-up (slow at first), then 10 s judged."""
    recorder = Recorder(judged_from=STARTED + WARMUP_S)
    for i in range(400):
        when = STARTED + i * 0.05
        spike = 50.0 if i < 20 else 0.0  # the first second's warm-up spike
        service = 5.0 * scale + i % 7 + spike
        recorder.record("GET /feed", Outcome.ok, service, late_ms=i % 3, when=when)
        if i % 4 == 0:
            recorder.record("POST /tweets", Outcome.ok, 12.0 * scale, when=when)
        if i % 50 == 0:
            recorder.record("POST /tweets", Outcome.rate_limited, 1.0, when=when)
    recorder.record("GET /search", Outcome.error, 3.0, when=STARTED + 1, error_kind="HTTP 503")
    return recorder


def summary_of(name="timeline-mix", scale=1.0, samples=None, cpu=30.0, aborted=None, **gates):
    scenario = load_scenario(name)
    facts = RunFacts(
        scenario=scenario,
        generator_mode="locust-local x1",
        processes=1,
        users=40,
        host="http://127.0.0.1:8080",
        locust_version="2.x",
        started_at=STARTED,
        finished_at=STARTED + 20,
        aborted=aborted,
    )
    schedule = ScheduleStats(issued=300) if scenario.model == "open" else None
    recorder = recorded(scale)
    totals = recorder.totals()
    reliability = judge_reliability(
        {"local": [cpu] * 10},
        [60.0] * 10,
        schedule,
        requests=totals.requests,
        rate_limited=totals.rate_limited,
    )
    stack = (
        samples
        if samples is not None
        else [
            StackSample(0.0, lag={"fanout": 900.0}, cache={"gateway-1": (0.0, 0.0)}),
            StackSample(10.0, lag={"fanout": 0.0}, cache={"gateway-1": (0.0, 50.0)}),
            StackSample(15.0, lag={"fanout": 25.0}, cache={"gateway-1": (95.0, 55.0)}),
        ]
    )
    return build_summary(facts, recorder, stack, reliability, Gates(**gates))


def test_an_open_model_summary_validates_and_reports_both_latencies():
    summary = summary_of()
    validate(summary)
    feed = next(row for row in summary["endpoints"] if row["name"] == "GET /feed")
    assert feed["requests"] == 200 and feed["rps"] == 20.0
    assert feed["corrected_latency_ms"]["p99"] >= feed["latency_ms"]["p99"]
    assert summary["slo"]["judged_on"] == "corrected"
    assert summary["totals"]["rate_limited"] == 8 and summary["totals"]["errors"] == 1
    assert summary["reliability"]["schedule"]["scheduled"] == 300
    verdicts = {o["name"]: o["verdict"] for o in summary["slo"]["objectives"]}
    assert verdicts["feed_read_p50_ms"] == "PASS"
    assert verdicts["feed_read_p99_ms"] == "NOT_ENOUGH_SAMPLES"  # 200 of 1,000
    assert summary["slo"]["passed"] and summary["outcome"] == {
        "passed": True,
        "reasons": [],
        "allow_unreliable": False,
    }
    assert summary["exit_code"] == 0


def test_a_closed_model_summary_has_no_corrected_figures():
    summary = summary_of("mixed", samples=[])
    validate(summary)
    assert all(row["corrected_latency_ms"] is None for row in summary["endpoints"])
    assert summary["stack"]["consumer_lag"]["measured"] is False
    assert summary["reliability"]["schedule"] is None


def test_the_warm_up_is_reported_apart_and_left_out_of_the_verdicts():
    summary = summary_of()
    warmup = summary["warmup"]
    assert warmup["seconds"] == WARMUP_S and summary["judged_s"] == 10.0
    assert summary["elapsed_s"] == 20.0
    assert (warmup["requests"], warmup["errors"]) == (255, 1)
    assert summary["totals"]["requests"] == 255 + 254  # the whole run
    early = next(row for row in warmup["endpoints"] if row["name"] == "GET /feed")
    judged = next(row for row in summary["endpoints"] if row["name"] == "GET /feed")
    assert early["latency_ms"]["max"] >= 55 > judged["latency_ms"]["max"]  # the spike stays out
    assert (early["requests"], judged["requests"]) == (200, 200)
    objectives = {o["name"]: o for o in summary["slo"]["objectives"]}
    assert objectives["feed_read_p50_ms"]["samples"] == 200
    assert objectives["error_rate"]["measured"] == 0.0  # the warm-up's 503 is not judged
    assert objectives["consumer_lag"]["measured"] == 25.0  # not the 900 seen at t=0
    assert objectives["feed_cache_hit_rate"]["measured"] == 0.95  # counted from t=10 on
    assert summary["stack"]["consumer_lag"]["max"] == 900.0  # the report keeps the whole run


def test_an_unreliable_run_fails_unless_allowed():
    unreliable = summary_of(cpu=100.0)
    assert unreliable["slo"]["passed"] and unreliable["exit_code"] == 1
    (reason,) = unreliable["outcome"]["reasons"]
    assert reason.startswith("unreliable run: generator process local ran above 90 % CPU")
    assert "--allow-unreliable" in reason
    allowed = summary_of(cpu=100.0, allow_unreliable=True)
    assert allowed["exit_code"] == 0 and allowed["outcome"]["allow_unreliable"]
    validate(unreliable)


def test_an_aborted_run_fails_and_says_why():
    summary = summary_of(aborted={"at_s": 14.0, "reason": "GET /feed p99 400 ms reached 150 ms"})
    validate(summary)
    assert summary["exit_code"] == 1
    assert summary["outcome"]["reasons"] == [
        "aborted after 14 s: GET /feed p99 400 ms reached 150 ms"
    ]


def test_a_regression_past_the_tolerance_fails_the_run():
    baseline = summary_of()
    slower = summary_of(scale=2.0, baseline=baseline, tolerance=0.10)
    validate(slower)
    found = slower["comparison"]["regressions"]
    assert any(line == "POST /tweets p50: 12.007 -> 24.015 ms (+100 %)" for line in found)
    assert (
        slower["exit_code"] == 1 and "regressed by more than 10%" in slower["outcome"]["reasons"][0]
    )
    lenient = summary_of(scale=2.0, baseline=baseline, tolerance=1.5)
    assert lenient["comparison"]["regressions"] == [] and lenient["exit_code"] == 0
    untolerant = summary_of(scale=2.0, baseline=baseline)  # --compare alone only reports
    assert untolerant["comparison"]["tolerance"] is None and untolerant["exit_code"] == 0


def test_only_judged_figures_and_gated_throughput_count_as_regressions():
    old, new = summary_of(), summary_of()
    for row in new["endpoints"]:
        row["rps"] = row["rps"] / 2
    for objective in new["slo"]["objectives"]:
        if objective["unit"] == "ms" and objective["measured"] is not None:
            objective["measured"] *= 3
    found = compare(old, new, 0.10)["regressions"]
    # p99 and p99.9 had too few samples in both runs; /search is gated by no objective
    assert {line.split(":")[0] for line in found} == {
        "POST /tweets p50",
        "GET /feed p50",
        "GET /feed throughput",
        "POST /tweets throughput",
    }


def test_the_schema_refuses_what_is_not_a_summary():
    good = summary_of()
    for breaking in (
        lambda s: s.pop("endpoints"),
        lambda s: s["slo"]["objectives"][0].update(verdict="MAYBE"),
        lambda s: s["endpoints"][0].update(name="feed"),
        lambda s: s.update(schema_version=1),
        lambda s: s["slo"]["objectives"][0].pop("min_samples"),
        lambda s: s.pop("warmup"),
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


def test_a_report_of_another_schema_version_is_refused_in_one_line(tmp_path):
    old = summary_of()
    old["schema_version"] = 1
    (tmp_path / "summary.json").write_text(json.dumps(old))
    with pytest.raises(ReportError, match="has summary schema 1, this chirp reads 2"):
        read_summary(tmp_path)


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
    summary = summary_of("mixed", samples=[])
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
    from chirp.core.observe import AlertHistory, fold_firing

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
