"""SLO verdicts: each objective of a scenario against what the run measured.

Latency is judged on the coordinated-omission corrected figures in the open model (the
honest ones) and on service time in the closed model, where the two are the same.
An objective nothing measured (no posts in a read-only scenario, no cache metrics on the
stack) is NOT_MEASURED, and a percentile estimated from too few samples (`min_samples`)
is NOT_ENOUGH_SAMPLES: both reported, never a failure.

Besides the scenario's `[slo]`, each `[[thresholds]]` entry adds objectives on one endpoint;
`abort_reason` is what stops a run early when one marked `abort_on_fail` is breached.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from chirp.loadtests.latency import Percentiles
from chirp.loadtests.recorder import Counts
from chirp.scenarios.model import PERCENTILES, Slo, Threshold

WRITE_ENDPOINT = "POST /tweets"
FEED_ENDPOINT = "GET /feed"


class Verdict(StrEnum):
    passed = "PASS"
    failed = "FAIL"
    not_measured = "NOT_MEASURED"
    not_enough_samples = "NOT_ENOUGH_SAMPLES"


def min_samples(quantile: float) -> int:
    """Samples a `quantile` (0.99 for p99) needs before it is judged: 10 / (1 - q).

    p50 needs 20, p95 200, p99 1,000, p99.9 10,000: ten samples at or beyond it, so one
    lucky or unlucky request cannot decide the verdict.
    """
    if not 0 <= quantile < 1:
        raise ValueError(f"a quantile is in [0, 1), not {quantile}")
    return math.ceil(round(10 / (1 - quantile), 6))  # 10 / 0.01 is 1000.0000000000001


@dataclass(frozen=True)
class Objective:
    """One objective's result; `measured` is None when nothing measured it, and a
    percentile with fewer `samples` than `min_samples` is reported but not judged."""

    name: str
    description: str
    comparison: Literal["<", ">"]
    threshold: float
    unit: str
    measured: float | None
    samples: int | None
    verdict: Verdict
    min_samples: int | None = None
    endpoint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict.value}


def check(
    name: str,
    description: str,
    measured: float | None,
    threshold: float,
    *,
    comparison: Literal["<", ">"] = "<",
    unit: str = "ms",
    samples: int | None = None,
    needs: int | None = None,
    endpoint: str | None = None,
) -> Objective:
    """Judge one figure; with `needs`, fewer `samples` than that is NOT_ENOUGH_SAMPLES."""
    if measured is None:
        verdict = Verdict.not_measured
    elif needs is not None and (samples or 0) < needs:
        verdict = Verdict.not_enough_samples
    elif (measured < threshold) if comparison == "<" else (measured > threshold):
        verdict = Verdict.passed
    else:
        verdict = Verdict.failed
    return Objective(
        name, description, comparison, threshold, unit, measured, samples, verdict, needs, endpoint
    )


def latency_check(
    name: str,
    description: str,
    figures: Percentiles | None,
    key: str,
    limit: float,
    endpoint: str | None = None,
) -> Objective:
    """`key` (p50, p95, p99, p999) of `figures` under `limit` ms, with the sample guard."""
    return check(
        name,
        description,
        None if figures is None else getattr(figures, key),
        limit,
        samples=None if figures is None else figures.count,
        needs=min_samples(PERCENTILES[f"{key}_ms"]),
        endpoint=endpoint,
    )


def judge(
    slo: Slo,
    latency: Mapping[str, Percentiles | None],
    *,
    requests: int,
    errors: int,
    lag_max: float | None,
    cache_hit_rate: float | None,
    thresholds: Sequence[Threshold] = (),
    counts: Mapping[str, Counts] | None = None,
) -> list[Objective]:
    """Every objective of `slo`, then of `thresholds`; `latency` maps endpoint names to
    their judged percentiles and `counts` to their requests (for threshold error rates)."""
    objectives: list[Objective] = []
    for prefix, endpoint, limits in (
        ("write", WRITE_ENDPOINT, (slo.write_p50_ms, slo.write_p99_ms, slo.write_p999_ms)),
        (
            "feed_read",
            FEED_ENDPOINT,
            (slo.feed_read_p50_ms, slo.feed_read_p99_ms, slo.feed_read_p999_ms),
        ),
    ):
        for key, limit in zip(("p50", "p99", "p999"), limits, strict=True):
            objectives.append(
                latency_check(
                    f"{prefix}_{key}_ms",
                    f"{endpoint} {key}",
                    latency.get(endpoint),
                    key,
                    limit,
                    endpoint,
                )
            )
    objectives.append(
        check(
            "error_rate",
            "errors / requests (429s counted apart)",
            _rate(errors, requests),
            slo.error_rate,
            unit="ratio",
            samples=requests,
        )
    )
    objectives.append(
        check(
            "consumer_lag",
            "largest consumer-group lag sampled",
            lag_max,
            slo.consumer_lag,
            unit="messages",
        )
    )
    objectives.append(
        check(
            "feed_cache_hit_rate",
            "feed cache hits / lookups",
            cache_hit_rate,
            slo.feed_cache_hit_rate,
            comparison=">",
            unit="ratio",
        )
    )
    for threshold in thresholds:
        objectives += threshold_objectives(threshold, latency, counts or {})
    return objectives


def threshold_objectives(
    threshold: Threshold,
    latency: Mapping[str, Percentiles | None],
    counts: Mapping[str, Counts],
) -> list[Objective]:
    """The objectives one `[[thresholds]]` entry sets, named `<endpoint> <field>`."""
    endpoint = threshold.endpoint
    aborts = ", aborts the run" if threshold.abort_on_fail else ""
    objectives = [
        latency_check(
            f"{endpoint} {field}",
            f"{endpoint} {field.removesuffix('_ms')} (threshold{aborts})",
            latency.get(endpoint),
            field.removesuffix("_ms"),
            limit,
            endpoint,
        )
        for field, limit in threshold.latency_limits().items()
    ]
    if threshold.error_rate is not None:
        seen = counts.get(endpoint)
        objectives.append(
            check(
                f"{endpoint} error_rate",
                f"{endpoint} errors / requests (threshold{aborts})",
                None if seen is None else _rate(seen.errors, seen.requests),
                threshold.error_rate,
                unit="ratio",
                samples=None if seen is None else seen.requests,
                endpoint=endpoint,
            )
        )
    return objectives


def abort_reason(
    thresholds: Sequence[Threshold],
    latency: Mapping[str, Percentiles | None],
    counts: Mapping[str, Counts],
) -> str | None:
    """Why the run must stop now, or None: an `abort_on_fail` threshold is breached by a
    figure with enough samples behind it (an error rate r needs 10 / r requests)."""
    for threshold in (t for t in thresholds if t.abort_on_fail):
        endpoint = threshold.endpoint
        for objective in threshold_objectives(threshold, latency, counts):
            if objective.verdict is not Verdict.failed:
                continue
            if objective.unit == "ratio":
                needed = min_samples(1 - objective.threshold)
                if (objective.samples or 0) < needed:
                    continue
                return (
                    f"{endpoint} error rate {objective.measured:.2%} reached the threshold "
                    f"{objective.threshold:.2%} over {objective.samples} requests"
                )
            return (
                f"{objective.description.split(' (')[0]} {objective.measured:g} ms reached "
                f"the threshold {objective.threshold:g} ms over {objective.samples} samples"
            )
    return None


def exit_code(objectives: list[Objective]) -> int:
    """0 when no objective failed, 1 when one did."""
    return 1 if any(o.verdict is Verdict.failed for o in objectives) else 0


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None
