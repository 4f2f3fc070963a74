"""SLO verdicts: each objective of a scenario against what the run measured.

Latency is judged on the coordinated-omission corrected figures in the open model (the
honest ones) and on service time in the closed model, where the two are the same.
An objective nothing measured (no posts in a read-only scenario, no cache metrics on the
stack) is NOT_MEASURED: reported, never a failure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

from loadtests.latency import Percentiles
from scenarios.model import Slo

WRITE_ENDPOINT = "POST /tweets"
FEED_ENDPOINT = "GET /feed"


class Verdict(StrEnum):
    passed = "PASS"
    failed = "FAIL"
    not_measured = "NOT_MEASURED"


@dataclass(frozen=True)
class Objective:
    """One objective's result; `measured` is None when nothing measured it."""

    name: str
    description: str
    comparison: Literal["<", ">"]
    threshold: float
    unit: str
    measured: float | None
    samples: int | None
    verdict: Verdict

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
) -> Objective:
    if measured is None:
        verdict = Verdict.not_measured
    elif (measured < threshold) if comparison == "<" else (measured > threshold):
        verdict = Verdict.passed
    else:
        verdict = Verdict.failed
    return Objective(name, description, comparison, threshold, unit, measured, samples, verdict)


def judge(
    slo: Slo,
    latency: dict[str, Percentiles | None],
    *,
    requests: int,
    errors: int,
    lag_max: float | None,
    cache_hit_rate: float | None,
) -> list[Objective]:
    """Every objective of `slo`; `latency` maps endpoint names to their judged percentiles."""
    objectives: list[Objective] = []
    for prefix, endpoint, limits in (
        ("write", WRITE_ENDPOINT, (slo.write_p50_ms, slo.write_p99_ms, slo.write_p999_ms)),
        (
            "feed_read",
            FEED_ENDPOINT,
            (slo.feed_read_p50_ms, slo.feed_read_p99_ms, slo.feed_read_p999_ms),
        ),
    ):
        figures = latency.get(endpoint)
        for label, limit in zip(("p50", "p99", "p999"), limits, strict=True):
            measured = None if figures is None else getattr(figures, label)
            objectives.append(
                check(
                    f"{prefix}_{label}_ms",
                    f"{endpoint} {label}",
                    measured,
                    limit,
                    samples=None if figures is None else figures.count,
                )
            )
    objectives.append(
        check(
            "error_rate",
            "errors / requests (429s counted apart)",
            round(errors / requests, 6) if requests else None,
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
    return objectives


def exit_code(objectives: list[Objective]) -> int:
    """0 when no objective failed, 1 when one did."""
    return 1 if any(o.verdict is Verdict.failed for o in objectives) else 0
