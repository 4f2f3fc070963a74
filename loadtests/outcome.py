"""Whether a load run passes, why not, and its gates as JUnit cases.

A run fails (exit 1) when an objective FAILed, a threshold aborted it, it was unreliable
(the generator saturated or missed its schedule; `--allow-unreliable` accepts that), or
it regressed past `--tolerance` against `--compare`. Objectives short of samples or not
measured never fail it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chirp.loadtests.junit import JUnitCase, Status

_SKIPPED = {"NOT_MEASURED": "not measured", "NOT_ENOUGH_SAMPLES": "not enough samples"}


@dataclass(frozen=True)
class Gates:
    """What the command line adds to the scenario's objectives."""

    allow_unreliable: bool = False
    baseline: dict[str, Any] | None = None
    """a stored summary to compare with (`--compare`)"""
    tolerance: float | None = None
    """with a baseline: the regression allowed, as a fraction (`--tolerance`)"""


def outcome(summary: dict[str, Any], allow_unreliable: bool) -> dict[str, Any]:
    """`passed` and, when it did not, every reason, one line each."""
    reasons = []
    failed = [o["name"] for o in summary["slo"]["objectives"] if o["verdict"] == "FAIL"]
    if failed:
        reasons.append(f"objectives failed: {', '.join(failed)}")
    aborted = summary["aborted"]
    if aborted is not None:
        reasons.append(f"aborted after {aborted['at_s']:.0f} s: {aborted['reason']}")
    reliability = summary["reliability"]
    if not reliability["reliable"] and not allow_unreliable:
        reasons.append(
            f"unreliable run: {'; '.join(reliability['reasons'])} "
            "(--allow-unreliable accepts its figures)"
        )
    comparison = summary.get("comparison")
    if comparison and comparison["regressions"]:
        reasons.append(
            f"regressed by more than {comparison['tolerance']:.0%} against the run of "
            f"{comparison['old']['started_at']}: {'; '.join(comparison['regressions'])}"
        )
    return {"passed": not reasons, "reasons": reasons, "allow_unreliable": allow_unreliable}


def junit_cases(summary: dict[str, Any]) -> list[JUnitCase]:
    """One case per objective, then the run's own gates: reliable, not aborted, and with
    a tolerance, no regression."""
    classname = f"chirp.load.{summary['scenario']['name']}"
    cases = [_objective_case(o, classname) for o in summary["slo"]["objectives"]]
    reliability = summary["reliability"]
    status: Status = "pass"
    message = ""
    if not reliability["reliable"]:
        allowed = summary["outcome"]["allow_unreliable"]
        status = "skip" if allowed else "fail"
        message = "; ".join(reliability["reasons"]) + (" (allowed)" if allowed else "")
    cases.append(JUnitCase("run is reliable", classname, status, message))
    aborted = summary["aborted"]
    cases.append(
        JUnitCase(
            "run was not aborted",
            classname,
            "pass" if aborted is None else "fail",
            "" if aborted is None else aborted["reason"],
            summary["elapsed_s"],
        )
    )
    comparison = summary.get("comparison")
    if comparison and comparison["tolerance"] is not None:
        found = comparison["regressions"]
        cases.append(
            JUnitCase(
                f"no regression past {comparison['tolerance']:.0%}",
                classname,
                "fail" if found else "pass",
                "; ".join(found),
            )
        )
    return cases


def _objective_case(objective: dict[str, Any], classname: str) -> JUnitCase:
    verdict = objective["verdict"]
    wanted = f"{objective['comparison']} {objective['threshold']:g} {objective['unit']}"
    if verdict in _SKIPPED:
        message = _SKIPPED[verdict]
        if verdict == "NOT_ENOUGH_SAMPLES":
            message += f": {objective['samples'] or 0:,} of {objective['min_samples']:,}"
        return JUnitCase(objective["name"], classname, "skip", f"{message} (wanted {wanted})")
    status: Status = "pass" if verdict == "PASS" else "fail"
    measured = f"{objective['description']}: {objective['measured']:g} {objective['unit']}"
    return JUnitCase(objective["name"], classname, status, f"{measured}, wanted {wanted}")
