"""`chirp load --compare OLD [--tolerance T]`: this run against a stored summary.

Every endpoint's rate, error rate and judged percentiles, and every objective's verdict,
side by side with the change. With a tolerance (0.10 is 10 %), a regression is
- a latency objective judged in both runs (PASS or FAIL, not short of samples) whose
  measured figure grew by more than the tolerance, or
- a gated endpoint (one an objective judges) whose requests per second fell by more.
"""

from __future__ import annotations

from typing import Any

JUDGED = ("PASS", "FAIL")


def compare(
    old: dict[str, Any], new: dict[str, Any], tolerance: float | None = None
) -> dict[str, Any]:
    """Per endpoint and per objective: the stored run, this run, and the change; with a
    `tolerance`, the regressions past it."""
    old_rows = {row["name"]: row for row in old["endpoints"]}
    endpoints = []
    for row in new["endpoints"]:
        before = old_rows.get(row["name"])
        figures: dict[str, Any] = {"name": row["name"]}
        for key in ("rps", "error_rate"):
            figures[key] = change(before and before[key], row[key])
        for key in ("p50", "p99", "p999"):
            figures[f"{key}_ms"] = change(_judged(before, key), _judged(row, key))
        endpoints.append(figures)
    old_verdicts = {o["name"]: o for o in old["slo"]["objectives"]}
    objectives = [
        {
            "name": o["name"],
            "old": old_verdicts.get(o["name"], {}).get("verdict"),
            "new": o["verdict"],
            "measured": change(old_verdicts.get(o["name"], {}).get("measured"), o["measured"]),
        }
        for o in new["slo"]["objectives"]
    ]
    return {
        "old": {"scenario": old["scenario"]["name"], "started_at": old["started_at"]},
        "tolerance": tolerance,
        "endpoints": endpoints,
        "objectives": objectives,
        "regressions": [] if tolerance is None else regressions(old, new, tolerance),
    }


def regressions(old: dict[str, Any], new: dict[str, Any], tolerance: float) -> list[str]:
    """What got worse by more than `tolerance` (a fraction), one line each."""
    found = []
    before = {o["name"]: o for o in old["slo"]["objectives"]}
    gated: set[str] = set()
    for objective in new["slo"]["objectives"]:
        if objective["unit"] != "ms" or objective["verdict"] not in JUDGED:
            continue
        gated.add(objective.get("endpoint") or "")
        was = before.get(objective["name"])
        if was is None or was["verdict"] not in JUDGED or not was["measured"]:
            continue
        if objective["measured"] > was["measured"] * (1 + tolerance):
            found.append(
                f"{objective['description']}: {was['measured']:g} -> {objective['measured']:g} ms "
                f"({_percent(was['measured'], objective['measured'])})"
            )
    old_rows = {row["name"]: row for row in old["endpoints"]}
    for row in new["endpoints"]:
        was = old_rows.get(row["name"])
        if row["name"] not in gated or was is None or not was["rps"]:
            continue
        if row["rps"] < was["rps"] * (1 - tolerance):
            found.append(
                f"{row['name']} throughput: {was['rps']:g} -> {row['rps']:g} requests/s "
                f"({_percent(was['rps'], row['rps'])})"
            )
    return found


def change(old: float | None, new: float | None) -> dict[str, float | None]:
    delta = None if old is None or new is None else round(new - old, 6)
    percent = None if delta is None or not old else round(100 * delta / old, 1)
    return {"old": old, "new": new, "delta": delta, "percent": percent}


def _judged(row: dict[str, Any] | None, key: str) -> float | None:
    if row is None:
        return None
    figures = row["corrected_latency_ms"] or row["latency_ms"]
    return None if figures is None else figures[key]  # type: ignore[no-any-return]


def _percent(old: float, new: float) -> str:
    return f"{100 * (new - old) / old:+.0f} %"
