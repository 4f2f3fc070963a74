"""From samples, actions and the ledger to markers, phase figures, checks and a verdict.

Pure functions over what the engine recorded; the engine calls them once at the end.

Verdicts: PASS (every check held), FAIL (a hypothesis, marker, ledger or stack check did
not), ABORTED (the abort guard tripped, a method action failed, or the run was
interrupted; rollbacks still ran), ERROR (the drill could not run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from chirp.infra.chaos.actions import ActionRecord
from chirp.infra.chaos.ledger import FollowReport, LedgerReport
from chirp.infra.chaos.metrics import Sample, aggregate
from chirp.infra.chaos.model import Check, Condition, Drill, Guard

PASS, FAIL, ABORTED, ERROR = "PASS", "FAIL", "ABORTED", "ERROR"
PHASES = ("baseline", "during", "after")
_GUARD_MIN_REQUESTS = 3


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: str
    """hypothesis, marker, ledger, load or stack"""
    verdict: str
    observed: Any = None
    bound: str = ""
    phase: str | None = None
    metric: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def in_phase(samples: Sequence[Sample], phase: str) -> list[Sample]:
    return [s for s in samples if s.phase == phase]


def first_holding(
    samples: Sequence[Sample], conditions: Sequence[Condition], since: float | None
) -> float | None:
    """Time of the first sample at or after `since` where every condition holds."""
    if since is None or not conditions:
        return None
    for sample in samples:
        if sample.t >= since and all(c.holds(sample.value(c.metric)) for c in conditions):
            return sample.t
    return None


def guard_reason(samples: Sequence[Sample], since: float, guard: Guard) -> str | None:
    """Why the abort guard trips over the last `window_s` samples since injection, or None."""
    window = [s for s in samples if s.t >= since][-guard.window_s :]
    if (aggregate(window, "requests") or 0) < _GUARD_MIN_REQUESTS:
        return None  # too few answers to judge; a lone slow request is not a trend
    error_rate = aggregate(window, "error_rate") or 0.0
    p99 = aggregate(window, "p99_ms") or 0.0
    if error_rate > guard.max_error_rate:
        return (
            f"abort guard: error rate {error_rate:.0%} over the last {len(window)}s "
            f"passed {guard.max_error_rate:.0%}"
        )
    if p99 > guard.max_p99_ms:
        return (
            f"abort guard: p99 {p99:.0f} ms over the last {len(window)}s "
            f"passed {guard.max_p99_ms:.0f} ms"
        )
    return None


def phase_figures(samples: Sequence[Sample]) -> dict[str, Any]:
    """What a phase looked like: traffic, errors, latency, lag, cache, ledger."""

    def figure(metric: str, stat: str | None = None, digits: int = 1) -> float | None:
        value = aggregate(samples, metric, stat)
        return None if value is None else round(value, digits)

    nodes: dict[str, int] = {}
    for sample in samples:
        for node, answers in sample.nodes.items():
            nodes[node] = nodes.get(node, 0) + answers
    return {
        "seconds": len(samples),
        "requests": figure("requests", digits=0),
        "errors": figure("errors", digits=0),
        "error_rate": figure("error_rate", digits=4),
        "p50_ms": figure("p50_ms"),
        "p99_ms": figure("p99_ms"),
        "refused": figure("refused", digits=0),
        "status_429": figure("status_429", digits=0),
        "status_503": figure("status_503", digits=0),
        "degraded": figure("degraded", digits=0),
        "search_unavailable": figure("search_unavailable", digits=0),
        "peak_lag": figure("max_lag", "max", 0),
        "last_lag": figure("max_lag", "last", 0),
        "min_feed_hit_rate": figure("feed_hit_rate", "min", 4),
        "last_feed_hit_rate": figure("feed_hit_rate", "last", 4),
        "db_degraded_reads": figure("db_degraded_reads", digits=0),
        "db_degraded_refused": figure("db_degraded_refused", digits=0),
        "ledger_acked": figure("acked", digits=0),
        "ledger_refused": figure("ledger_refused", digits=0),
        "ledger_unknown": figure("ledger_unknown", digits=0),
        "answers_by_node": dict(sorted(nodes.items())),
    }


def hypothesis_results(drill: Drill, samples: Sequence[Sample]) -> list[CheckResult]:
    return [_judge(check, in_phase(samples, check.phase)) for check in drill.hypothesis]


def _judge(check: Check, samples: Sequence[Sample]) -> CheckResult:
    observed = aggregate(samples, check.metric, check.stat)
    return CheckResult(
        name=check.name,
        kind="hypothesis",
        verdict=PASS if check.holds(observed) else FAIL,
        observed=None if observed is None else round(observed, 4),
        bound=check.bound() if observed is not None else f"{check.bound()} (no samples)",
        phase=check.phase,
        metric=check.metric,
    )


def marker_results(
    drill: Drill, detected: float | None, recovered: float | None
) -> list[CheckResult]:
    results = []
    if drill.markers.detect:
        conditions = " and ".join(map(str, drill.markers.detect))
        results.append(
            CheckResult(
                name=f"fault detected ({conditions})",
                kind="marker",
                verdict=PASS if detected is not None else FAIL,
                observed=None if detected is None else round(detected, 2),
                bound="seen after injection (t in s)",
            )
        )
    if drill.markers.recover:
        conditions = " and ".join(map(str, drill.markers.recover))
        results.append(
            CheckResult(
                name=f"recovered ({conditions})",
                kind="marker",
                verdict=PASS if recovered is not None else FAIL,
                observed=None if recovered is None else round(recovered, 2),
                bound=f"within {drill.timing.recovery_timeout_s:g}s of the after phase (t in s)",
            )
        )
    return results


def ledger_results(report: LedgerReport | None, unreadable: list[str]) -> list[CheckResult]:
    if report is None:
        return [CheckResult("ledger verified", "ledger", FAIL, None, "verification ran")]
    note = f" (unreadable: {', '.join(unreadable[:5])})" if unreadable else ""
    return [
        CheckResult(
            "ledger: writes were acknowledged (the checks below are not vacuous)",
            "ledger",
            PASS if report.acknowledged > 0 else FAIL,
            report.acknowledged,
            "> 0",
        ),
        CheckResult(
            "ledger: no acknowledged write lost",
            "ledger",
            PASS if not report.lost else FAIL,
            len(report.lost),
            f"== 0{note}",
        ),
        CheckResult(
            "ledger: nothing duplicated",
            "ledger",
            PASS if not report.duplicated else FAIL,
            len(report.duplicated),
            "== 0",
        ),
        CheckResult(
            "ledger: writes of unknown outcome that were stored got delivered",
            "ledger",
            PASS if not report.undelivered_unknown else FAIL,
            len(report.undelivered_unknown),
            "== 0",
        ),
    ]


def follow_results(report: FollowReport | None) -> list[CheckResult]:
    if report is None:
        return [CheckResult("follow ledger verified", "ledger", FAIL, None, "verification ran")]
    return [
        CheckResult(
            "follow ledger: follows were acknowledged (the check below is not vacuous)",
            "ledger",
            PASS if report.acknowledged > 0 else FAIL,
            report.acknowledged,
            "> 0",
        ),
        CheckResult(
            "follow ledger: no acknowledged follow lost",
            "ledger",
            PASS if not report.lost else FAIL,
            len(report.lost),
            "== 0",
        ),
    ]


def repair_results(repair: dict[str, Any]) -> list[CheckResult]:
    """Feed entries lost in a cache failover must all come back through regeneration."""
    after = repair.get("missing_after")
    return [
        CheckResult(
            "feed entries lost in the failover were repaired by feed regeneration",
            "ledger",
            PASS if after == 0 else FAIL,
            after,
            f"== 0 (missing before the repair: {repair.get('missing_before')})",
        )
    ]


def stack_results(
    actions: Sequence[ActionRecord], down_after: list[str] | None, load: dict[str, Any] | None
) -> list[CheckResult]:
    """Rollbacks succeeded, every component is up again, the background load ran."""
    failed = [a.description for a in actions if a.stage == "rollback" and not a.ok]
    results = [
        CheckResult(
            "rollbacks succeeded", "stack", PASS if not failed else FAIL, failed, "none failed"
        ),
        CheckResult(
            "every component up after the drill",
            "stack",
            PASS if down_after == [] else FAIL,
            down_after,
            "none down",
        ),
    ]
    if load is not None:
        results.append(
            CheckResult(
                "background load ran",
                "load",
                PASS if load["ran"] else FAIL,
                load["status"],
                "exit 0 or 1",
            )
        )
    return results


def overall(
    checks: Sequence[CheckResult], aborted: str | None, error: str | None, interrupted: bool
) -> tuple[str, int]:
    """The verdict and the exit code: 0 PASS; 1 FAIL, or ABORTED by the guard or a failed
    action; 2 ERROR (could not run) or ABORTED by an interrupt (did not run to the end)."""
    if error is not None:
        return ERROR, 2
    if interrupted:
        return ABORTED, 2
    if aborted is not None:
        return ABORTED, 1
    if all(c.passed for c in checks):
        return PASS, 0
    return FAIL, 1
