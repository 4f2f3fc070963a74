"""`summary.json`: the stable, documented record of a load run (`summary.schema.json`).

Built once at the end of a run from the recorder, the stack samples and the reliability
judgement; everything a later `--compare`, `chirp simulate --from-report` or a CI gate
needs is in it, so the HTML report is drawn from it alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from infra.local.prometheus import NOT_GATHERED
from loadtests import slo
from loadtests.latency import Percentiles, percentiles, spectrum, value_ms
from loadtests.recorder import Recorder
from loadtests.reliability import Reliability
from loadtests.stackmetrics import StackSample, cache_summary, lag_summary
from scenarios.model import Scenario
from stack.errors import ConfigError

SCHEMA_FILE = Path(__file__).with_name("summary.schema.json")
SCHEMA_VERSION = 1


class ReportError(ConfigError):
    """A stored report that cannot be read."""


@dataclass
class RunFacts:
    """What the runner knows about the run besides the recorder."""

    scenario: Scenario
    generator_mode: str
    processes: int
    users: int
    host: str
    locust_version: str
    started_at: float
    finished_at: float
    alerts: dict[str, Any] | None = None
    """`AlertHistory.as_dict()` of the run: alerts, prometheus_url, alerts_note."""


def build_summary(
    facts: RunFacts,
    recorder: Recorder,
    stack_samples: list[StackSample],
    reliability: Reliability,
) -> dict[str, Any]:
    """The summary of a finished run; its `exit_code` is the SLO verdict (0 met, 1 breached)."""
    scenario = facts.scenario
    open_model = scenario.model == "open"
    elapsed = max(facts.finished_at - facts.started_at, 1e-9)
    endpoints = [
        _endpoint_row(recorder, name, elapsed, open_model) for name in sorted(recorder.endpoints)
    ]
    judged = {
        name: percentiles(s.corrected if open_model else s.service)
        for name, s in recorder.endpoints.items()
    }
    totals = recorder.totals()
    lag = lag_summary(stack_samples)
    cache = cache_summary(stack_samples)
    objectives = slo.judge(
        scenario.slo,
        judged,
        requests=totals.requests,
        errors=totals.errors,
        lag_max=lag["max"],
        cache_hit_rate=cache["value"],
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "chirp-load",
        "scenario": _scenario_block(scenario),
        "generator": {
            "mode": facts.generator_mode,
            "processes": facts.processes,
            "model": scenario.model,
            "users": facts.users,
            "target_rate": scenario.peak_rate,
            "host": facts.host,
            "locust_version": facts.locust_version,
        },
        "started_at": _iso(facts.started_at),
        "finished_at": _iso(facts.finished_at),
        "elapsed_s": round(elapsed, 3),
        "totals": {
            **totals.as_dict(),
            "rps": round(totals.requests / elapsed, 3),
            "error_rate": _ratio(totals.errors, totals.requests),
            "rate_limited_rate": _ratio(totals.rate_limited, totals.requests),
        },
        "endpoints": endpoints,
        "slo": {
            "passed": slo.exit_code(objectives) == 0,
            "judged_on": "corrected" if open_model else "service",
            "objectives": [o.as_dict() for o in objectives],
        },
        "stack": {"samples": len(stack_samples), "consumer_lag": lag, "feed_cache_hit_rate": cache},
        "reliability": reliability.as_dict(),
        "timeline": _timeline(recorder, facts.started_at),
        **(facts.alerts if facts.alerts is not None else NOT_GATHERED.as_dict()),
        "exit_code": slo.exit_code(objectives),
    }


def write_summary(summary: dict[str, Any], report_dir: Path) -> Path:
    validate(summary)
    path = report_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validate(summary: dict[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` unless `summary` follows the schema."""
    jsonschema.validate(summary, schema(), format_checker=jsonschema.FormatChecker())


def read_summary(path: Path) -> dict[str, Any]:
    """A stored summary, from its report directory or the file itself."""
    file = path / "summary.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        validate(data)
    except FileNotFoundError as error:
        raise ReportError(
            f"no report at {file}; pass a report directory or its summary.json"
        ) from error
    except (OSError, json.JSONDecodeError) as error:
        raise ReportError(f"cannot read the report {file} ({error})") from error
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise ReportError(
            f"{file} is not a chirp load summary ({where}: {error.message})"
        ) from error
    return data  # type: ignore[no-any-return]


def compare(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Per endpoint and per objective: the stored run, this run, and the change."""
    old_rows = {row["name"]: row for row in old["endpoints"]}
    endpoints = []
    for row in new["endpoints"]:
        before = old_rows.get(row["name"])
        figures: dict[str, Any] = {"name": row["name"]}
        for key in ("rps", "error_rate"):
            figures[key] = _change(before and before[key], row[key])
        for key in ("p50", "p99", "p999"):
            figures[f"{key}_ms"] = _change(_judged(before, key), _judged(row, key))
        endpoints.append(figures)
    old_verdicts = {o["name"]: o for o in old["slo"]["objectives"]}
    objectives = [
        {
            "name": o["name"],
            "old": old_verdicts.get(o["name"], {}).get("verdict"),
            "new": o["verdict"],
            "measured": _change(old_verdicts.get(o["name"], {}).get("measured"), o["measured"]),
        }
        for o in new["slo"]["objectives"]
    ]
    return {
        "old": {"scenario": old["scenario"]["name"], "started_at": old["started_at"]},
        "endpoints": endpoints,
        "objectives": objectives,
    }


def _endpoint_row(
    recorder: Recorder, name: str, elapsed: float, open_model: bool
) -> dict[str, Any]:
    stats = recorder.endpoints[name]
    counts = stats.counts
    service = percentiles(stats.service)
    corrected = percentiles(stats.corrected) if open_model else None
    return {
        "name": name,
        **counts.as_dict(),
        "rps": round(counts.requests / elapsed, 3),
        "error_rate": _ratio(counts.errors, counts.requests),
        "latency_ms": _maybe(service),
        "corrected_latency_ms": _maybe(corrected),
        "spectrum_ms": spectrum(stats.corrected if open_model else stats.service),
        "error_kinds": dict(stats.error_kinds.most_common()),
    }


def _timeline(recorder: Recorder, started_at: float) -> dict[str, Any]:
    points = []
    for (index, name), bucket in sorted(recorder.timeline.items()):
        has_latency = bucket.latency.get_total_count() > 0
        points.append(
            {
                "t": round(max(0.0, index * recorder.bucket_s - started_at), 3),
                "endpoint": name,
                **bucket.counts.as_dict(),
                "p50_ms": value_ms(bucket.latency, 50) if has_latency else None,
                "p99_ms": value_ms(bucket.latency, 99) if has_latency else None,
            }
        )
    return {"bucket_s": recorder.bucket_s, "points": points}


def _scenario_block(scenario: Scenario) -> dict[str, Any]:
    dumped = scenario.model_dump(mode="json")
    return {
        "name": scenario.name,
        "description": scenario.description,
        "source": str(scenario.source) if scenario.source else None,
        "model": scenario.model,
        "duration_s": scenario.total_s,
        "mix": {str(j): round(share, 6) for j, share in scenario.shares.items()},
        "load": dumped["load"],
        "stages": dumped["stages"],
        "slo": dumped["slo"],
    }


def _judged(row: dict[str, Any] | None, key: str) -> float | None:
    if row is None:
        return None
    figures = row["corrected_latency_ms"] or row["latency_ms"]
    return None if figures is None else figures[key]  # type: ignore[no-any-return]


def _change(old: float | None, new: float | None) -> dict[str, float | None]:
    delta = None if old is None or new is None else round(new - old, 6)
    percent = None if delta is None or not old else round(100 * delta / old, 1)
    return {"old": old, "new": new, "delta": delta, "percent": percent}


def _maybe(figures: Percentiles | None) -> dict[str, float | int] | None:
    return None if figures is None else figures.as_dict()


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
