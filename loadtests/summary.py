"""`summary.json`: the stable, documented record of a load run (`summary.schema.json`).

Built once at the end of a run from the recorder, the stack samples and the reliability
judgement; everything a later `--compare`, `chirp simulate --from-report` or a CI gate
needs is in it, so the HTML report is drawn from it alone.

The verdicts judge what started after the scenario's warm-up (`endpoints`, `judged_s`);
the warm-up's own figures are kept apart under `warmup`, and `totals` count the whole run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from chirp.core.errors import ReportError
from chirp.core.observe import NOT_GATHERED
from chirp.loadtests import slo
from chirp.loadtests.compare import compare
from chirp.loadtests.latency import Percentiles, percentiles, spectrum, value_ms
from chirp.loadtests.outcome import Gates, outcome
from chirp.loadtests.recorder import EndpointStats, Recorder
from chirp.loadtests.reliability import Reliability
from chirp.loadtests.stackmetrics import StackSample, cache_summary, lag_summary
from chirp.scenarios.model import Scenario

SCHEMA_FILE = Path(__file__).with_name("summary.schema.json")
SCHEMA_VERSION = 2


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
    aborted: dict[str, Any] | None = None
    """`{"at_s": ..., "reason": ...}` when an `abort_on_fail` threshold stopped the run."""


def build_summary(
    facts: RunFacts,
    recorder: Recorder,
    stack_samples: list[StackSample],
    reliability: Reliability,
    gates: Gates | None = None,
) -> dict[str, Any]:
    """The summary of a finished run; its `exit_code` is 0 when it passed, 1 when not
    (`outcome.reasons` says why)."""
    gates = gates or Gates()
    scenario = facts.scenario
    open_model = scenario.model == "open"
    elapsed = max(facts.finished_at - facts.started_at, 1e-9)
    warmup_s = min(scenario.warmup, elapsed)
    judged_s = max(elapsed - warmup_s, 1e-9)
    judged_stack = [s for s in stack_samples if s.t >= warmup_s]
    judged = recorder.judged_totals()
    objectives = slo.judge(
        scenario.slo,
        {name: _judged(s, open_model) for name, s in recorder.endpoints.items()},
        requests=judged.requests,
        errors=judged.errors,
        lag_max=lag_summary(judged_stack)["max"],
        cache_hit_rate=cache_summary(judged_stack)["value"],
        thresholds=scenario.thresholds,
        counts={name: s.counts for name, s in recorder.endpoints.items()},
    )
    totals = recorder.totals()
    summary: dict[str, Any] = {
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
        "judged_s": round(judged_s, 3),
        "totals": {
            **totals.as_dict(),
            "rps": round(totals.requests / elapsed, 3),
            "error_rate": _ratio(totals.errors, totals.requests),
            "rate_limited_rate": _ratio(totals.rate_limited, totals.requests),
        },
        "endpoints": _rows(recorder.endpoints, judged_s, open_model),
        "warmup": {
            "seconds": round(warmup_s, 3),
            **recorder.warmup_totals().as_dict(),
            "endpoints": _rows(recorder.warmup, warmup_s, open_model),
        },
        "slo": {
            "passed": slo.exit_code(objectives) == 0,
            "judged_on": "corrected" if open_model else "service",
            "objectives": [o.as_dict() for o in objectives],
        },
        "aborted": facts.aborted,
        "stack": {
            "samples": len(stack_samples),
            "judged_from_s": round(warmup_s, 3),
            "consumer_lag": lag_summary(stack_samples),
            "feed_cache_hit_rate": cache_summary(stack_samples),
        },
        "reliability": reliability.as_dict(),
        "timeline": _timeline(recorder, facts.started_at),
        **(facts.alerts if facts.alerts is not None else NOT_GATHERED.as_dict()),
    }
    if gates.baseline is not None:
        summary["comparison"] = compare(gates.baseline, summary, gates.tolerance)
    summary["outcome"] = outcome(summary, gates.allow_unreliable)
    summary["exit_code"] = 0 if summary["outcome"]["passed"] else 1
    return summary


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
        _same_version(data, file)
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


def _same_version(data: Any, file: Path) -> None:
    if not isinstance(data, dict) or data.get("kind") != "chirp-load":
        return  # the schema says what is wrong with it
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ReportError(
            f"{file} has summary schema {version}, this chirp reads {SCHEMA_VERSION} "
            "(the figures changed meaning); run the stored scenario again for a baseline"
        )


def _rows(
    stats: dict[str, EndpointStats], seconds: float, open_model: bool
) -> list[dict[str, Any]]:
    return [_endpoint_row(stats[name], seconds, open_model) for name in sorted(stats)]


def _endpoint_row(stats: EndpointStats, seconds: float, open_model: bool) -> dict[str, Any]:
    counts = stats.counts
    service = percentiles(stats.service)
    corrected = percentiles(stats.corrected) if open_model else None
    return {
        "name": stats.name,
        **counts.as_dict(),
        "rps": round(counts.requests / seconds, 3) if seconds > 0 else 0.0,
        "error_rate": _ratio(counts.errors, counts.requests),
        "latency_ms": _maybe(service),
        "corrected_latency_ms": _maybe(corrected),
        "spectrum_ms": spectrum(stats.corrected if open_model else stats.service),
        "error_kinds": dict(stats.error_kinds.most_common()),
    }


def _judged(stats: EndpointStats, open_model: bool) -> Percentiles | None:
    return percentiles(stats.corrected if open_model else stats.service)


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
        "warmup_s": scenario.warmup,
        "mix": {str(j): round(share, 6) for j, share in scenario.shares.items()},
        "load": dumped["load"],
        "stages": dumped["stages"],
        "slo": dumped["slo"],
        "thresholds": dumped["thresholds"],
    }


def _maybe(figures: Percentiles | None) -> dict[str, float | int] | None:
    return None if figures is None else figures.as_dict()


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
