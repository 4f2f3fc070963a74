"""The shape of `summary.json`, as pydantic models: they validate a summary and generate
its JSON Schema (`summary.schema.json`, shipped for tools that read reports).

Regenerate the shipped file after changing a model: `make schemas`. A unit test keeps
the two equal.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

SCHEMA_FILE = Path(__file__).with_name("summary.schema.json")
SCHEMA_VERSION = 2

Count = Annotated[int, Field(ge=0)]
NonNegative = Annotated[float, Field(ge=0)]
Ratio = Annotated[float, Field(ge=0, le=1)]
Model = Literal["open", "closed"]


class _Shape(BaseModel):
    """Strict: a count is an integer, not a string that reads as one. Keys the models do
    not name are allowed, so a reader takes reports that gained fields within a version."""

    model_config = ConfigDict(strict=True)


class Threshold(_Shape):
    endpoint: str
    abort_on_fail: bool


class ScenarioBlock(_Shape):
    """The scenario as run, after command-line overrides."""

    name: str
    description: str
    source: str | None = Field(description="the TOML file it came from")
    model: Model
    duration_s: float = Field(gt=0)
    warmup_s: NonNegative = Field(description="seconds at the start left out of the verdicts")
    mix: dict[str, Ratio] = Field(description="journey -> share (sums to 1)")
    load: dict[str, Any]
    stages: list[dict[str, Any]]
    slo: dict[str, float]
    thresholds: list[Threshold] = Field(
        description="the scenario's [[thresholds]]: per-endpoint limits, judged as objectives"
    )


class Generator(_Shape):
    """How the load was generated."""

    mode: str = Field(description="e.g. 'locust-local x1' or 'locust-master + 2 workers'")
    processes: int = Field(ge=1, description="processes issuing requests")
    model: Model = Field(
        description="open: target arrival rate, latency from intended start; closed: fixed users"
    )
    users: Count = Field(description="peak virtual users")
    target_rate: float | None = Field(
        default=None, description="open model: peak operations per second asked for"
    )
    host: str
    locust_version: str


class Counts(_Shape):
    requests: Count
    ok: Count
    errors: Count = Field(description="failed requests other than 429")
    rate_limited: Count = Field(description="429 answers (rate limit or backpressure)")


class Totals(Counts):
    """The whole run, warm-up included."""

    rps: NonNegative
    error_rate: Ratio | None
    rate_limited_rate: Ratio | None


class PercentilesMs(_Shape):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1)
    p50: NonNegative
    p95: NonNegative
    p99: NonNegative
    p999: NonNegative
    max: NonNegative
    mean: NonNegative


class Endpoint(Counts):
    name: str = Field(pattern=r"^(GET|POST|PUT|PATCH|DELETE) /")
    rps: NonNegative
    error_rate: Ratio | None
    latency_ms: PercentilesMs | None = Field(
        description="service time of successful requests (uncorrected)"
    )
    corrected_latency_ms: PercentilesMs | None = Field(
        description="open model: from each request's intended start (coordinated omission "
        "corrected); null in the closed model"
    )
    spectrum_ms: list[tuple[float, float]] = Field(
        description="[percentile, ms] of the judged latency"
    )
    error_kinds: dict[str, Count]


class Warmup(Counts):
    """What started during the warm-up, left out of the verdicts."""

    seconds: NonNegative
    endpoints: list[Endpoint] = Field(
        description="rows as in endpoints; rps over the warm-up's seconds"
    )


class Objective(_Shape):
    name: str
    description: str
    comparison: Literal["<", ">"]
    threshold: float
    unit: str
    measured: float | None
    samples: int | None
    verdict: Literal["PASS", "FAIL", "NOT_MEASURED", "NOT_ENOUGH_SAMPLES"] = Field(
        description="NOT_MEASURED and NOT_ENOUGH_SAMPLES are reported, never a failure"
    )
    min_samples: Annotated[int, Field(ge=1)] | None = Field(
        description="a percentile's samples needed before it is judged: 10 / (1 - q)"
    )
    endpoint: str | None = Field(
        description="the endpoint a latency or per-endpoint objective judges"
    )


class SloBlock(_Shape):
    passed: bool = Field(description="no objective FAILed (see outcome for the run's own verdict)")
    judged_on: Literal["corrected", "service"] = Field(
        description="which latency the objectives judge"
    )
    objectives: list[Objective]


class Aborted(_Shape):
    """When an abort_on_fail threshold stopped the run: seconds into it and why."""

    at_s: NonNegative
    reason: str


class LagPoint(_Shape):
    t: float
    by_group: dict[str, float]


class ConsumerLag(_Shape):
    measured: bool
    max: float | None
    mean: float | None
    by_group_max: dict[str, float]
    timeline: list[LagPoint]


class FeedCacheHitRate(_Shape):
    measured: bool
    value: Ratio | None
    hits: NonNegative
    misses: NonNegative


class StackBlock(_Shape):
    samples: Count = Field(description="scrapes of the stack's /metrics")
    judged_from_s: NonNegative = Field(
        description="the objectives on lag and hit rate judge samples from here on; the "
        "figures below cover the whole run"
    )
    consumer_lag: ConsumerLag
    feed_cache_hit_rate: FeedCacheHitRate


class Schedule(_Shape):
    scheduled: Count
    issued: Count
    late: Count
    dropped: Count
    max_late_ms: NonNegative
    late_threshold_ms: NonNegative


class ReliabilityBlock(_Shape):
    reliable: bool = Field(
        description="false when the generator saturated its CPU or missed its schedule; "
        "such a run exits 1 unless --allow-unreliable"
    )
    reasons: list[str]
    warnings: list[str]
    generator_cpu: dict[str, Any]
    schedule: Schedule | None


class TimelinePoint(Counts):
    t: float = Field(description="seconds from the start to the bucket's start")
    endpoint: str
    p50_ms: float | None
    p99_ms: float | None


class Timeline(_Shape):
    bucket_s: float = Field(gt=0)
    points: list[TimelinePoint]


class FiredAlert(_Shape):
    name: str = Field(description="the alert rule (infra/provision/local/rules/chirp.rules.yml)")
    severity: str = Field(description="warning, critical or page")
    summary: str = Field(
        description="the rule's summary with its labels filled in; the value reads as …"
    )
    labels: dict[str, str]
    first_firing_at: datetime
    last_firing_at: datetime
    firing_s: NonNegative = Field(
        description="about how long it fired in all (points of the history x its step)"
    )
    spells: int = Field(ge=1, description="separate spells of firing")


class Comparison(_Shape):
    """Present only with --compare: per endpoint and objective the stored run, this one
    and the change; regressions past tolerance (a fraction, null without --tolerance)."""

    old: Any
    tolerance: NonNegative | None
    endpoints: Any
    objectives: Any
    regressions: list[str]


class Outcome(_Shape):
    passed: bool
    reasons: list[str] = Field(
        description="why it did not pass: objectives failed, aborted, unreliable, regressed "
        "past --tolerance"
    )
    allow_unreliable: bool


class LoadSummary(_Shape):
    """summary.json of a `chirp load` run (schema_version 2). Fields are only ever added
    within a version; a removal or change of meaning bumps schema_version (2: `endpoints`
    and the verdicts cover the judged window after the warm-up, the warm-up is reported
    apart; NOT_ENOUGH_SAMPLES; thresholds, abort, outcome). Latencies are milliseconds
    from HDR histograms (3 significant digits); ratios are 0..1."""

    model_config = ConfigDict(title="chirp load summary")

    schema_version: Literal[2]
    kind: Literal["chirp-load"]
    scenario: ScenarioBlock
    generator: Generator
    started_at: datetime
    finished_at: datetime
    elapsed_s: NonNegative
    judged_s: NonNegative = Field(
        description="seconds after the warm-up: the window `endpoints` and the verdicts cover"
    )
    totals: Totals
    endpoints: list[Endpoint] = Field(
        description="One row per endpoint, named by method and route template: what started "
        "after the warm-up (the verdicts' window); rps over judged_s."
    )
    warmup: Warmup
    slo: SloBlock
    aborted: Aborted | None
    stack: StackBlock
    reliability: ReliabilityBlock
    timeline: Timeline
    alerts: list[FiredAlert] | None = Field(
        default=None,
        description="alerts of chirp's Prometheus that fired at some point during the run "
        "(an empty list: none did); null when Prometheus did not run or answer, and "
        "alerts_note says why. Absent in reports written before it existed.",
    )
    prometheus_url: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        default=None,
        description="Prometheus's graph page over the run's time range (firing alerts, p99 "
        "by route, error ratio, consumer lag); null without Prometheus",
    )
    alerts_note: str | SkipJsonSchema[None] = Field(
        default=None, description="present when alerts is null: why the alert history is unknown"
    )
    comparison: Comparison | SkipJsonSchema[None] = None
    outcome: Outcome
    exit_code: Literal[0, 1] = Field(description="0 the run passed; 1 it did not (outcome.reasons)")


def json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of `summary.json`, generated from `LoadSummary`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://chirp.local/schemas/load-summary-v{SCHEMA_VERSION}.json",
        **LoadSummary.model_json_schema(),
    }


def schema_text() -> str:
    """`json_schema()` as the shipped file holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema() -> Path:
    """Write `summary.schema.json` from the models; its path."""
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    return SCHEMA_FILE
