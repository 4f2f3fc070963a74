"""From probe samples to markers, checks, the abort guard and the verdict, without a stack."""

from __future__ import annotations

import pytest

from chirp.infra.chaos.metrics import EndpointStats, Sample, aggregate, is_metric, percentile
from chirp.infra.chaos.model import Check, Condition, Guard
from chirp.infra.chaos.summary import summary_markdown
from chirp.infra.chaos.verdict import (
    ABORTED,
    ERROR,
    FAIL,
    PASS,
    CheckResult,
    first_holding,
    guard_reason,
    overall,
    phase_figures,
)


def sample(
    t: float,
    phase: str = "during",
    *,
    requests: int = 4,
    errors: int = 0,
    latency_ms: float = 10.0,
    nodes: dict[str, int] | None = None,
    lag: dict[str, int] | None = None,
    hit_rate: float | None = None,
) -> Sample:
    stats = EndpointStats(requests=requests, errors=errors, latencies_ms=[latency_ms] * requests)
    return Sample(
        t=t,
        phase=phase,
        endpoints={"feed": stats},
        nodes=nodes if nodes is not None else {"1": requests // 2, "2": requests - requests // 2},
        lag=lag,
        feed_hit_rate=hit_rate,
    )


def test_metric_names():
    for name in ("error_rate", "p99_ms", "node.1", "lag.fanout", "error_rate.post", "acked"):
        assert is_metric(name), name
    for name in ("lag", "node.x", "error_rate.nowhere", "bogus"):
        assert not is_metric(name), name


def test_rates_and_percentiles_are_over_every_request_not_averaged_per_second():
    samples = [sample(1, requests=1, errors=1), sample(2, requests=9, errors=0)]
    assert aggregate(samples, "error_rate") == pytest.approx(0.1)
    assert aggregate(samples, "errors") == 1
    assert aggregate(samples, "requests.feed") == 10
    assert aggregate([], "errors") is None


def test_gauges_take_their_peak_unless_told():
    samples = [sample(1, lag={"fanout": 5}), sample(2, lag={"fanout": 50}), sample(3, lag={})]
    assert aggregate(samples, "lag.fanout") == 50
    assert aggregate(samples, "lag.fanout", "last") == 50
    assert aggregate(samples, "max_lag", "min") == 5
    assert aggregate([sample(1)], "feed_hit_rate") is None


def test_percentile_is_nearest_rank():
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None


def test_markers_find_the_first_sample_where_every_condition_holds():
    samples = [
        sample(1, nodes={"1": 2, "2": 2}),
        sample(2, nodes={"2": 4}),
        sample(3, nodes={"2": 1}, requests=1),
        sample(4, nodes={"1": 1, "2": 3}),
    ]
    only_two = [
        Condition(metric="node.1", op="==", value=0),
        Condition(metric="answered", op=">=", value=3),
    ]
    assert first_holding(samples, only_two, since=0) == 2
    back = [Condition(metric="node.1", op=">", value=0)]
    assert first_holding(samples, back, since=2.5) == 4
    assert first_holding(samples, back, since=None) is None
    assert first_holding(samples, [], since=0) is None


def test_the_guard_trips_on_error_rate_or_p99_since_injection_only():
    guard = Guard(max_error_rate=0.5, max_p99_ms=1000, window_s=2)
    calm = [sample(t) for t in range(5)]
    assert guard_reason(calm, since=0, guard=guard) is None
    failing = [*calm, sample(5, errors=4), sample(6, errors=3)]
    assert "error rate" in guard_reason(failing, since=0, guard=guard)
    slow = [*calm, sample(5, latency_ms=5000), sample(6, latency_ms=5000)]
    assert "p99" in guard_reason(slow, since=0, guard=guard)
    assert guard_reason(failing, since=10, guard=guard) is None, "nothing injected yet"
    too_few = [sample(5, requests=1, errors=1)]
    assert guard_reason(too_few, since=0, guard=guard) is None


def test_checks_hold_within_bounds_and_fail_without_data():
    check = Check(name="c", phase="during", metric="error_rate", max=0.01)
    assert check.holds(0.0) and not check.holds(0.02) and not check.holds(None)
    both = Check(name="c", phase="after", metric="feed_hit_rate", min=0.85, max=1)
    assert both.bound() == ">= 0.85 and <= 1"


@pytest.mark.parametrize(
    ("checks", "aborted", "error", "interrupted", "expected"),
    [
        ([PASS, PASS], None, None, False, (PASS, 0)),
        ([PASS, FAIL], None, None, False, (FAIL, 1)),
        ([PASS], "abort guard: ...", None, False, (ABORTED, 1)),
        ([PASS], None, None, True, (ABORTED, 2)),
        ([], None, "the stack is not up", False, (ERROR, 2)),
    ],
)
def test_verdict_and_exit_code(checks, aborted, error, interrupted, expected):
    results = [CheckResult(f"c{i}", "hypothesis", v) for i, v in enumerate(checks)]
    assert overall(results, aborted, error, interrupted) == expected


def test_phase_figures_and_summary():
    samples = [sample(1, "baseline"), sample(2, errors=1, lag={"fanout": 7}, hit_rate=0.5)]
    figures = phase_figures([s for s in samples if s.phase == "during"])
    assert figures["errors"] == 1 and figures["peak_lag"] == 7
    assert figures["answers_by_node"] == {"1": 2, "2": 2}
    journal = {
        "drill": "d",
        "verdict": FAIL,
        "description": "a drill",
        "started_at": "now",
        "elapsed_s": 1.0,
        "reasons": ["hypothesis: x"],
        "checks": [CheckResult("x", "hypothesis", FAIL, 1, "<= 0").as_dict()],
        "phases": {"baseline": phase_figures(samples[:1]), "during": figures, "after": {}},
        "measures": {"time_to_detect_s": 1.5},
        "ledger": {"acknowledged": 3, "lost": [], "duplicated": []},
        "actions": [],
    }
    page = summary_markdown(journal)
    assert page.startswith("# chirp chaos d: FAIL")
    assert "| FAIL | x | 1 | <= 0 |" in page
    assert "| time to detect (s after injection) | 1.5 |" in page


def test_summary_shows_feed_repair_and_follow_ledger():
    from chirp.infra.chaos.ledger import FollowReport
    from chirp.infra.chaos.verdict import follow_results, repair_results

    journal = {
        "drill": "d",
        "verdict": PASS,
        "started_at": "now",
        "elapsed_s": 1.0,
        "ledger": {"acknowledged": 3, "lost": [], "duplicated": []},
        "feed_repair": {"missing_before": 4, "feeds_regenerated": 2, "missing_after": 0},
        "follow_ledger": {
            "attempted": 9,
            "acknowledged": 7,
            "lost": ["1->2"],
            "write_outage_s": 3.5,
        },
    }
    page = summary_markdown(journal)
    assert "| feed entries lost in the failover | 4 |" in page
    assert "| follows lost (acknowledged, missing) | 1 |" in page
    assert "| write outage (s, first failed to first acknowledged after) | 3.5 |" in page
    repaired = repair_results(journal["feed_repair"])
    assert [r.verdict for r in repaired] == [PASS]
    assert repair_results({"missing_before": 4, "missing_after": 1})[0].verdict == FAIL
    lost = follow_results(FollowReport(attempted=2, acknowledged=2, lost=["a->b"]))
    assert [r.verdict for r in lost] == [PASS, FAIL]
    assert follow_results(None)[0].verdict == FAIL


def test_summary_lists_the_alerts_that_fired_and_links_prometheus():
    journal = {
        "drill": "d",
        "verdict": PASS,
        "started_at": "now",
        "elapsed_s": 1.0,
        "alerts": [
            {
                "name": "RedisDown",
                "severity": "critical",
                "summary": "the Redis exporter cannot reach Redis",
                "labels": {"component": "redis-exporter"},
                "first_firing_at": "2026-01-01T10:00:02+00:00",
                "last_firing_at": "2026-01-01T10:00:40+00:00",
                "firing_s": 40.0,
                "spells": 1,
            }
        ],
        "prometheus_url": "http://127.0.0.1:9090/graph?g0.expr=ALERTS",
    }
    page = summary_markdown(journal)
    section = page.split("## Alerts\n", 1)[1].split("\n## ", 1)[0]
    assert (
        "| critical | RedisDown | component=redis-exporter | 2026-01-01T10:00:02+00:00 "
        "| 2026-01-01T10:00:40+00:00 | 40 | the Redis exporter cannot reach Redis |" in section
    )
    assert "[The drill's time range in Prometheus](http://127.0.0.1:9090/graph?g0.expr=ALERTS)" in (
        section
    )
    quiet = summary_markdown({**journal, "alerts": []})
    assert "## Alerts\n\nNone fired during the drill." in quiet
    unknown = summary_markdown(
        {
            **journal,
            "alerts": None,
            "prometheus_url": None,
            "alerts_note": "Prometheus is not running",
        }
    )
    assert "## Alerts\n\nUnknown: Prometheus is not running." in unknown


def test_failover_measure_counts_from_injection_to_the_first_successful_failover_action():
    from chirp.infra.chaos.actions import ActionRecord
    from chirp.infra.chaos.journal import measures

    actions = [
        ActionRecord("method", "kill", "kill redis-primary", 0, 10.0, 10.1, True),
        ActionRecord("method", "await_redis_failover", "await", 0, 10.1, 12.6, True),
        ActionRecord("rollback", "promote_postgres", "promote", None, 30.0, 31.0, False),
    ]
    marks = {"injected": 10.0, "restored": 22.0}
    assert measures(marks, None, None, [], actions)["new_primary_s"] == 2.6
    assert measures(marks, None, None, [], actions[:1])["new_primary_s"] is None
    assert measures(marks, None, None, [], actions[2:])["new_primary_s"] is None
