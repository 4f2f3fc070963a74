"""A load scenario as its TOML file spells it: how hard, how long, which journeys, what passes.

A scenario drives load one of two ways:

- closed model: `users` virtual users, started at `spawn_rate` per second, each running its
  journey then thinking `think_time_s`; the offered rate follows the stack's speed.
- open model: a target arrival `rate` (operations per second) that does not slow down when
  the stack does; `users` is then only the pool of concurrent workers that carries it.

`stages` turn either into a stage table (users or rate per stage). `mix` weighs the journeys:
shares of virtual users in the closed model, shares of arrivals in the open model.

`warmup_s` (default 10 s, never more than half the run) is left out of the verdicts: what
starts in it is reported apart. `thresholds` add per-endpoint objectives to `slo`, k6 style:

    [[thresholds]]
    endpoint = "GET /feed"      # an endpoint as the reports name it (ENDPOINTS)
    p95_ms = 80
    error_rate = 0.01
    abort_on_fail = true         # stop the run once breached (after warm-up, enough samples)
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_WARMUP_S = 10.0
ENDPOINTS = (
    "GET /feed",
    "GET /users/{id}/tweets",
    "GET /search",
    "GET /trending",
    "POST /tweets",
    "DELETE /tweets/{id}",
    "POST /tweets/{id}/like",
    "POST /tweets/{id}/retweet",
    "GET /ping",
    "POST /media (upload)",
    "GET /media/{key}",
)
"""Every endpoint the journeys request, named as the reports name them (method, route)."""
PERCENTILES = {"p50_ms": 0.5, "p95_ms": 0.95, "p99_ms": 0.99, "p999_ms": 0.999}
"""Latency limits a threshold may set, and the quantile each one judges."""


class Journey(StrEnum):
    """The user journeys a scenario can mix; each is one Locust user class in `loadtests`."""

    feed = "feed"
    timeline = "timeline"
    post = "post"
    engage = "engage"
    search = "search"
    trending = "trending"
    celebrity_post = "celebrity_post"
    media = "media"


class Slo(BaseModel):
    """Service level objectives (the design review's, see README); a scenario overrides any."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    write_p50_ms: float = Field(default=30, gt=0, description="POST /tweets p50")
    write_p99_ms: float = Field(default=100, gt=0)
    write_p999_ms: float = Field(default=200, gt=0)
    feed_read_p50_ms: float = Field(default=20, gt=0, description="GET /feed p50")
    feed_read_p99_ms: float = Field(default=50, gt=0)
    feed_read_p999_ms: float = Field(default=100, gt=0)
    error_rate: float = Field(
        default=0.001, ge=0, le=1, description="errors / requests; 429s apart"
    )
    consumer_lag: int = Field(default=1_000, ge=0, description="largest lag of any consumer group")
    feed_cache_hit_rate: float = Field(default=0.85, ge=0, le=1)


class Threshold(BaseModel):
    """Limits on one endpoint, judged like the SLOs; `abort_on_fail` stops a breached run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = Field(description="method and route, e.g. 'GET /feed' (ENDPOINTS)")
    p50_ms: float | None = Field(default=None, gt=0)
    p95_ms: float | None = Field(default=None, gt=0)
    p99_ms: float | None = Field(default=None, gt=0)
    p999_ms: float | None = Field(default=None, gt=0)
    error_rate: float | None = Field(default=None, gt=0, le=1, description="429s apart")
    abort_on_fail: bool = False

    @field_validator("endpoint")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {value!r}; one of {', '.join(ENDPOINTS)}")
        return value

    @model_validator(mode="after")
    def _some_limit(self) -> Threshold:
        if not self.latency_limits() and self.error_rate is None:
            raise ValueError(f"set at least one of {', '.join(PERCENTILES)}, error_rate")
        return self

    def latency_limits(self) -> dict[str, float]:
        """The latency limits it sets, by field name (`p95_ms`: 80)."""
        return {key: limit for key in PERCENTILES if (limit := getattr(self, key)) is not None}


class Stage(BaseModel):
    """One row of a stage table: from the previous stage's end until `until_s`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    until_s: float = Field(gt=0)
    users: int | None = Field(default=None, ge=1)
    spawn_rate: float | None = Field(default=None, gt=0)
    rate: float | None = Field(default=None, gt=0, description="open model: operations per second")


class Load(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    users: int | None = Field(
        default=None, ge=1, description="closed: virtual users; open: worker pool"
    )
    spawn_rate: float | None = Field(default=None, gt=0, description="users started per second")
    rate: float | None = Field(default=None, gt=0, description="open model: operations per second")
    think_time_s: tuple[float, float] = Field(
        default=(0.5, 1.5), description="closed model pause range"
    )
    zipf_exponent: float = Field(
        default=1.1, ge=0, le=5, description="0 is uniform; larger is more skewed"
    )
    focus_hashtag: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,49}$",
        description="a hashtag posts pile onto",
    )
    focus_share: float = Field(default=0.0, ge=0, le=1, description="share of posts that carry it")

    @field_validator("think_time_s")
    @classmethod
    def _ordered_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if low < 0 or high < low:
            raise ValueError("must be [low, high] with 0 <= low <= high")
        return value


class Scenario(BaseModel):
    """A named load profile; see the module docstring for the two load models."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    description: str = ""
    duration_s: float | None = Field(
        default=None, gt=0, description="defaults to the last stage's end"
    )
    load: Load = Field(default_factory=Load)
    mix: dict[Journey, float] = Field(min_length=1)
    stages: list[Stage] = Field(default_factory=list)
    slo: Slo = Field(default_factory=Slo)
    warmup_s: float | None = Field(
        default=None, ge=0, description="left out of the verdicts; default 10 s, at most half"
    )
    thresholds: list[Threshold] = Field(default_factory=list)
    source: Path | None = Field(default=None, exclude=True, description="the file it came from")

    @field_validator("mix")
    @classmethod
    def _weights(cls, value: dict[Journey, float]) -> dict[Journey, float]:
        if any(weight < 0 for weight in value.values()):
            raise ValueError("weights must be >= 0")
        if not any(weight > 0 for weight in value.values()):
            raise ValueError("at least one journey needs a weight above 0")
        return value

    @model_validator(mode="after")
    def _one_model(self) -> Scenario:
        open_model = self.load.rate is not None or any(s.rate is not None for s in self.stages)
        if self.stages:
            _check_stages(self.stages, open_model)
            if self.duration_s is not None and self.duration_s != self.stages[-1].until_s:
                raise ValueError("duration_s: must equal the last stage's until_s (or be left out)")
        elif self.duration_s is None:
            raise ValueError("duration_s: required when there are no stages")
        elif not open_model and (self.load.users is None or self.load.spawn_rate is None):
            raise ValueError("load: set users and spawn_rate (closed model) or rate (open model)")
        if self.warmup_s is not None and self.warmup_s >= self.total_s:
            raise ValueError(
                f"warmup_s: {self.warmup_s:g} s leaves nothing of the {self.total_s:g} s run "
                "to judge; shorten the warm-up (--warmup) or lengthen the run"
            )
        endpoints = [t.endpoint for t in self.thresholds]
        if len(set(endpoints)) < len(endpoints):
            raise ValueError("thresholds: one entry per endpoint")
        return self

    @property
    def model(self) -> Literal["open", "closed"]:
        open_model = self.load.rate is not None or any(s.rate is not None for s in self.stages)
        return "open" if open_model else "closed"

    @property
    def total_s(self) -> float:
        """How long the run lasts."""
        return self.stages[-1].until_s if self.stages else float(self.duration_s or 0)

    @property
    def warmup(self) -> float:
        """Seconds at the start left out of the verdicts: `warmup_s`, else 10 s (at most
        half the run)."""
        if self.warmup_s is not None:
            return self.warmup_s
        return min(DEFAULT_WARMUP_S, self.total_s / 2)

    @property
    def shares(self) -> dict[Journey, float]:
        """The mix normalised to sum to 1, journeys of weight 0 left out."""
        total = sum(self.mix.values())
        return {j: w / total for j, w in self.mix.items() if w > 0}

    @property
    def peak_rate(self) -> float | None:
        """Open model: the highest arrival rate it asks for."""
        rates = [s.rate for s in self.stages if s.rate is not None]
        if self.load.rate is not None and not self.stages:
            rates.append(self.load.rate)
        return max(rates) if rates else None

    @property
    def peak_users(self) -> int | None:
        users = [s.users for s in self.stages if s.users is not None]
        if self.load.users is not None and not users:
            users.append(self.load.users)
        return max(users) if users else None

    def with_overrides(
        self,
        *,
        users: int | None = None,
        spawn_rate: float | None = None,
        rate: float | None = None,
        duration_s: float | None = None,
        warmup_s: float | None = None,
    ) -> Scenario:
        """This scenario with command-line overrides applied, validated again.

        With a stage table, `--users`/`--rate` scale every stage so the peak equals the value
        and `--duration` stretches the stages in proportion; the shape is kept.
        `--rate` on a closed scenario turns it into an open one. `--warmup` must leave part
        of the run to judge.
        """
        data = self.model_dump(exclude={"source"})
        if warmup_s is not None:
            data["warmup_s"] = warmup_s
        load, stages = data["load"], data["stages"]
        if stages:
            stages = _scaled_stages(self, users, spawn_rate, rate, duration_s)
            data["duration_s"] = None
        else:
            if users is not None:
                load["users"] = users
            if spawn_rate is not None:
                load["spawn_rate"] = spawn_rate
            if rate is not None:
                load["rate"] = rate
            if duration_s is not None:
                data["duration_s"] = duration_s
        data["stages"] = stages
        return Scenario.model_validate({**data, "source": self.source})


def _check_stages(stages: list[Stage], open_model: bool) -> None:
    previous = 0.0
    for index, stage in enumerate(stages):
        where = f"stages[{index}]"
        if stage.until_s <= previous:
            raise ValueError(f"{where}.until_s: must grow from stage to stage")
        previous = stage.until_s
        if open_model and (stage.rate is None or stage.users is not None):
            raise ValueError(f"{where}: an open-model stage sets rate (and no users)")
        if not open_model and (stage.users is None or stage.spawn_rate is None):
            raise ValueError(f"{where}: a closed-model stage sets users and spawn_rate")


def _scaled_stages(
    scenario: Scenario,
    users: int | None,
    spawn_rate: float | None,
    rate: float | None,
    duration_s: float | None,
) -> list[dict[str, float | int | None]]:
    stretch = duration_s / scenario.total_s if duration_s else 1.0
    rows = []
    for stage in scenario.stages:
        row = stage.model_dump()
        row["until_s"] = round(stage.until_s * stretch, 3)
        if rate is not None:
            if scenario.model == "open":
                row["rate"] = stage.rate * rate / (scenario.peak_rate or rate)  # type: ignore[operator]
            else:  # a closed stage table becomes open at the same relative shape
                row["rate"] = rate * (stage.users or 1) / (scenario.peak_users or 1)
                row["users"] = row["spawn_rate"] = None
        elif users is not None and stage.users is not None:
            row["users"] = max(1, round(stage.users * users / (scenario.peak_users or users)))
        if spawn_rate is not None and row.get("users") is not None:
            row["spawn_rate"] = spawn_rate
        rows.append(row)
    return rows
