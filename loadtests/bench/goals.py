"""The benchmark's goals and the one-line meaning of every figure it reports.

A goal is judged on its figure only when the figure can bear it: a percentile with too
few samples is NOT_ENOUGH_SAMPLES, a figure nothing measured is NOT_MEASURED; neither
passes or fails. A figure the generator could not be trusted for is judged, and its
goal says so (`reliable: false`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SCHEMA_VERSION = "chirp.bench/v2"

DEFINITIONS: dict[str, str] = {
    "ceiling_rps": "authenticated no-op (GET /api/v1/ping) through the same HAProxy, gateways "
    "and middleware (token lookup, hourly request limit, activity mark, request span), "
    "closed loop at full speed",
    "feed_read_rps": "home feed reads/s at saturation (closed loop, < 1 % errors)",
    "feed_read_ratio": "feed_read_rps / ceiling_rps",
    "feed_read_p99_ms": "home feed p99, open loop at 50 % of feed_read_rps, from the intended "
    "start (CO corrected)",
    "user_timeline_rps": "user timeline reads/s at saturation",
    "user_timeline_ratio": "user_timeline_rps / ceiling_rps",
    "user_timeline_p99_ms": "user timeline p99, open loop at 50 % of its saturation",
    "post_rps": "posts/s at saturation (keyed posts: one TransactWriteItems each)",
    "post_ratio_to_ceiling": "post_rps / ceiling_rps",
    "post_p99_ms": "post p99, open loop at 50 % of post_rps, CO corrected",
    "post_ceiling_per_s": "the post's own DynamoDB write (TransactWriteItems of key + tweet, "
    "conditional) by bare boto3 clients at the post phase's concurrency, scratch tables",
    "post_store_ratio": "post_rps / post_ceiling_per_s",
    "search_rps": "searches/s at saturation",
    "search_ratio": "search_rps / ceiling_rps",
    "search_p99_ms": "search p99, open loop at 50 % of search_rps",
    "fanout_capacity_per_s": "feed deliveries per second of batch time, per fan-out worker "
    "process, while a backlog of >= 50,000 deliveries drains (the wall time, wake-up "
    "included, is under drain)",
    "fanout_ceiling_per_s": "the fan-out worker's own Redis write (Timelines.deliver of a "
    "batch: same script and pipelines) by a bare client, per process",
    "fanout_ratio": "fanout_capacity_per_s / fanout_ceiling_per_s",
    "fanout_lag_p99_ms": "post acknowledged -> in the follower's feed, p99 of exact samples at "
    "50 % of post_rps",
    "index_lag_p99_ms": "post acknowledged -> searchable, p99 of exact samples at 50 % of post_rps",
    "edge_hit_ratio": "edge (Varnish) cache hits / lookups for Zipf-popular media and public "
    "reads, open loop at 50 % of the edge's measured capacity",
    "edge_p99_ms": "edge p99 of that open loop, from the intended start",
    "edge_origin_saved": "share of edge requests that never reached an origin",
}


@dataclass(frozen=True)
class Goal:
    figure: str
    comparison: Literal[">=", "<="]
    target: float


GOALS = (
    Goal("feed_read_ratio", ">=", 0.5),
    Goal("feed_read_p99_ms", "<=", 50.0),
    Goal("user_timeline_p99_ms", "<=", 50.0),
    Goal("post_p99_ms", "<=", 100.0),
    Goal("fanout_capacity_per_s", ">=", 50_000.0),
    Goal("fanout_ratio", ">=", 0.2),
    Goal("fanout_lag_p99_ms", "<=", 1_000.0),
    Goal("index_lag_p99_ms", "<=", 2_000.0),
    Goal("edge_hit_ratio", ">=", 0.9),
    Goal("edge_p99_ms", "<=", 20.0),
)


def judge_goals(
    figures: dict[str, Any], not_judged: dict[str, str], unreliable: set[str]
) -> list[dict[str, Any]]:
    """Each goal's verdict: PASS, FAIL, NOT_ENOUGH_SAMPLES or NOT_MEASURED."""
    results = []
    for goal in GOALS:
        value = figures.get(goal.figure)
        if goal.figure in not_judged:
            verdict, reason = "NOT_ENOUGH_SAMPLES", not_judged[goal.figure]
        elif value is None:
            verdict, reason = "NOT_MEASURED", "nothing measured it"
        else:
            met = value >= goal.target if goal.comparison == ">=" else value <= goal.target
            verdict, reason = ("PASS" if met else "FAIL"), ""
        results.append(
            {
                "figure": goal.figure,
                "goal": f"{goal.comparison} {goal.target:g}",
                "measured": value,
                "verdict": verdict,
                "reason": reason,
                "reliable": goal.figure not in unreliable,
            }
        )
    return results


def exit_code(goals: list[dict[str, Any]], reliable: bool, allow_unreliable: bool) -> int:
    """0 when every judged goal passed (and the run is reliable, unless allowed); else 1."""
    failed = any(g["verdict"] == "FAIL" for g in goals)
    return 1 if failed or (not reliable and not allow_unreliable) else 0


def junit_cases(
    goals: list[dict[str, Any]], unreliable: list[str], allow_unreliable: bool
) -> list[Any]:
    """One JUnit case per goal, and one for the run's reliability."""
    from chirp.loadtests.junit import JUnitCase

    status = {"PASS": "pass", "FAIL": "fail"}
    cases = [
        JUnitCase(
            g["figure"],
            "chirp.bench",
            status.get(g["verdict"], "skip"),  # type: ignore[arg-type]
            f"{g['measured']} (goal {g['goal']}) {g['verdict']} {g['reason']}".strip(),
        )
        for g in goals
    ]
    if unreliable:
        message = f"figures the generator could not be trusted for: {', '.join(unreliable)}"
        cases.append(
            JUnitCase("reliable", "chirp.bench", "skip" if allow_unreliable else "fail", message)
        )
    else:
        cases.append(JUnitCase("reliable", "chirp.bench", "pass"))
    return cases
