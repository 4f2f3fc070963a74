"""How big the AWS deployment is: `AwsSizing`, read from a JSON or YAML file.

`chirp simulate capacity --emit-pulumi-config FILE` writes that file (schema
`chirp.sizing/v1`, translated by `chirp.infra.provision.aws.plan_sizing`); without one every
size is the design review's "Component Sizing" (docs/simulation.md). The
default location is `<run dir>/aws-sizing.json` (or `.yaml`/`.yml`). A file
may also use this module's own keys directly, alone or beside the
simulation's. Missing keys take their defaults and unknown keys are ignored.
Keys (all optional; defaults shown):

    {
      "region": "us-east-1",
      "availability_zones": 3,            # 2 or 3 (MSK spreads brokers over 2 or 3 AZs)
      "image": null,                      # chirp image URI; null: the ECR repository this
      "image_tag": "latest",              #   program creates, at this tag
      "alert_email": null,                # subscribed to the alarm topic when set
      "certificate_arn": null,            # ACM certificate: HTTPS on 443, HTTP redirects;
                                          #   required, unless allow_plain_http is true
      "allow_plain_http": false,          # serve the API over plain HTTP on 80 (tests only)
      "deletion_protection": true,        # RDS instances; `chirp down` lifts it first
      "kafka": {"brokers": 10, "instance_type": "kafka.m5.2xlarge", "version": "3.9.x",
                "partitions_per_topic": 100, "replication_factor": 3,
                "min_insync_replicas": 2, "retention_hours": 168, "volume_gb": 1000},
      "redis": {"node_type": "cache.r6g.2xlarge", "shards": 10, "replicas_per_shard": 1,
                "engine_version": "7.1"},
      "dynamodb": {"on_demand": true, "read_capacity": 200000, "write_capacity": 20000},
      "postgres": {"instance_class": "db.r6g.2xlarge", "read_replicas": 10,
                   "storage_gb": 500, "max_storage_gb": 2000, "engine_version": "16"},
      "opensearch": {"data_nodes": 5, "instance_type": "r6g.xlarge.search", "volume_gb": 500,
                     "master_nodes": 3, "master_instance_type": "m6g.large.search",
                     "engine_version": "OpenSearch_2.19"},
      "gateway": {"min_tasks": 6, "max_tasks": 300, "cpu": 1024, "memory_mb": 2048,
                  "cpu_target_percent": 60},
      "workers": {                        # per worker type; a partial entry keeps the
        "fanout": {"min_tasks": 20, "max_tasks": 200, "cpu": 2048, "memory_mb": 4096},
        "search-indexer": {"min_tasks": 5, "max_tasks": 50, ...},   # other keys' defaults
        "trending": {...}, "notify": {...}, "analytics": {...},
        "relay": {"min_tasks": 1, "max_tasks": 1, ...}   # not in the simulation's file
      },
      "alarms": {"write_p99_ms": 100, "read_p99_ms": 50, "error_rate_percent": 0.1,
                 "lag_target": 1000, "lag_alert": 5000, "lag_critical": 50000}
    }

`cpu` is in Fargate CPU units (1024 = 1 vCPU) and must pair with `memory_mb`
as Fargate allows. Where the seed's numbers cannot be deployed as written,
the program adjusts them and `AwsSizing.adjustments()` says how.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings
from chirp.infra.provision.aws.plan_sizing import from_capacity_plan, is_capacity_plan
from chirp.infra.provision.aws.roles import WORKER_NAMES, WORKERS

SIZING_FILE_NAMES = ("aws-sizing.json", "aws-sizing.yaml", "aws-sizing.yml")

# Fargate CPU units → (smallest, largest, step) of the memory it accepts, in MiB.
_FARGATE_MEMORY: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512),
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class KafkaSizing(_Section):
    """MSK: the seed's 10 m5.2xlarge brokers, 100 partitions per topic, RF 3, 7 days."""

    brokers: int = Field(default=10, ge=1)
    instance_type: str = "kafka.m5.2xlarge"
    version: str = "3.9.x"
    partitions_per_topic: int = Field(default=100, ge=1)
    replication_factor: int = Field(default=3, ge=1)
    min_insync_replicas: int = Field(default=2, ge=1)
    retention_hours: int = Field(default=168, ge=1)
    volume_gb: int = Field(default=1000, ge=1, le=16384)


class RedisSizing(_Section):
    """ElastiCache: one primary and its replicas with automatic failover (see
    `chirp.infra.provision.aws.cache` for why not cluster mode). `shards` is what was asked for, the
    design review's feed cluster of 10; the deployment runs one, and says so."""

    node_type: str = "cache.r6g.2xlarge"
    shards: int = Field(default=10, ge=1, le=500)
    # At least one replica: automatic failover needs something to fail over to; a
    # replication group without cluster mode holds at most five.
    replicas_per_shard: int = Field(default=1, ge=1, le=5)
    engine_version: str = "7.1"


class DynamoDBSizing(_Section):
    """On-demand by default; the seed's provisioned alternative is 20,000 WCU / 200,000 RCU."""

    on_demand: bool = True
    read_capacity: int = Field(default=200_000, ge=1)
    write_capacity: int = Field(default=20_000, ge=1)


class PostgresSizing(_Section):
    """RDS PostgreSQL, Multi-AZ primary plus the seed's 10 read replicas."""

    instance_class: str = "db.r6g.2xlarge"
    read_replicas: int = Field(default=10, ge=0, le=15)
    storage_gb: int = Field(default=500, ge=20)
    max_storage_gb: int = Field(default=2000, ge=20)
    engine_version: str = "16"


class OpenSearchSizing(_Section):
    """The seed's 5-node search cluster, with 3 dedicated masters."""

    data_nodes: int = Field(default=5, ge=1)
    instance_type: str = "r6g.xlarge.search"
    volume_gb: int = Field(default=500, ge=10)
    master_nodes: int = Field(default=3, ge=0)
    master_instance_type: str = "m6g.large.search"
    engine_version: str = "OpenSearch_2.19"


class ServiceSizing(_Section):
    """An ECS Fargate service: task count bounds and one task's size."""

    min_tasks: int = Field(default=1, ge=0)
    max_tasks: int = Field(default=1, ge=1)
    cpu: int = 512
    memory_mb: int = 1024

    @model_validator(mode="after")
    def _check(self) -> ServiceSizing:
        if self.min_tasks > self.max_tasks:
            raise ValueError(f"min_tasks {self.min_tasks} is above max_tasks {self.max_tasks}")
        if self.cpu not in _FARGATE_MEMORY:
            raise ValueError(f"cpu must be one of {sorted(_FARGATE_MEMORY)} (Fargate CPU units)")
        low, high, step = _FARGATE_MEMORY[self.cpu]
        if not (low <= self.memory_mb <= high and (self.memory_mb - low) % step == 0):
            raise ValueError(
                f"Fargate does not pair cpu {self.cpu} with memory_mb {self.memory_mb}; "
                f"use {low}..{high} in steps of {step}"
            )
        return self


class GatewaySizing(ServiceSizing):
    """The gateways scale on average CPU, kept under the seed's 70 % ceiling."""

    min_tasks: int = Field(default=6, ge=1)
    max_tasks: int = Field(default=300, ge=1)
    cpu: int = 1024
    memory_mb: int = 2048
    cpu_target_percent: float = Field(default=60.0, gt=0, le=100)


class AlarmThresholds(_Section):
    """The seed's monitoring thresholds."""

    write_p99_ms: float = Field(default=100.0, gt=0)
    read_p99_ms: float = Field(default=50.0, gt=0)
    error_rate_percent: float = Field(default=0.1, gt=0)
    lag_target: int = Field(default=1_000, ge=1)
    lag_alert: int = Field(default=5_000, ge=1)
    lag_critical: int = Field(default=50_000, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> AlarmThresholds:
        if not self.lag_target < self.lag_alert < self.lag_critical:
            raise ValueError("lag thresholds must rise: lag_target < lag_alert < lag_critical")
        return self


# The seed sizes fan-out (200), search (50) and trending (30) workers; the rest are ours.
_WORKER_DEFAULTS: dict[str, dict[str, int]] = {
    "relay": {"min_tasks": 1, "max_tasks": 1, "cpu": 512, "memory_mb": 1024},
    "fanout": {"min_tasks": 20, "max_tasks": 200, "cpu": 2048, "memory_mb": 4096},
    "search-indexer": {"min_tasks": 5, "max_tasks": 50, "cpu": 1024, "memory_mb": 2048},
    "trending": {"min_tasks": 3, "max_tasks": 30, "cpu": 512, "memory_mb": 1024},
    "notify": {"min_tasks": 3, "max_tasks": 30, "cpu": 512, "memory_mb": 1024},
    "analytics": {"min_tasks": 3, "max_tasks": 30, "cpu": 512, "memory_mb": 1024},
    "edge-purger": {"min_tasks": 1, "max_tasks": 10, "cpu": 512, "memory_mb": 1024},
}


def _default_workers() -> dict[str, ServiceSizing]:
    return {name: ServiceSizing(**values) for name, values in _WORKER_DEFAULTS.items()}


class AwsSizing(_Section):
    """Every size and threshold of the AWS deployment."""

    region: str = "us-east-1"
    availability_zones: int = Field(default=3, ge=2, le=3)
    image: str | None = None
    image_tag: str = "latest"
    alert_email: str | None = None
    certificate_arn: str | None = None
    allow_plain_http: bool = False
    deletion_protection: bool = True
    kafka: KafkaSizing = KafkaSizing()
    redis: RedisSizing = RedisSizing()
    dynamodb: DynamoDBSizing = DynamoDBSizing()
    postgres: PostgresSizing = PostgresSizing()
    opensearch: OpenSearchSizing = OpenSearchSizing()
    gateway: GatewaySizing = GatewaySizing()
    workers: dict[str, ServiceSizing] = Field(default_factory=_default_workers)
    alarms: AlarmThresholds = AlarmThresholds()
    notes: tuple[str, ...] = ()
    """What reading the simulation's file decided (written by `load_sizing`)."""

    @field_validator("workers", mode="before")
    @classmethod
    def _merge_worker_defaults(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        unknown = sorted(set(value) - set(WORKER_NAMES))
        if unknown:
            raise ValueError(
                f"unknown worker {', '.join(unknown)}; workers are {', '.join(WORKER_NAMES)}"
            )
        merged: dict[str, Any] = {}
        for name, defaults in _WORKER_DEFAULTS.items():
            given = value.get(name, {})
            merged[name] = {**defaults, **given} if isinstance(given, dict) else given
        return merged

    @property
    def kafka_brokers(self) -> int:
        """Brokers to run: MSK needs a whole number of brokers in every zone."""
        zones = self.availability_zones
        return -(-self.kafka.brokers // zones) * zones

    def worker_max_tasks(self, name: str) -> int:
        """A consumer group uses at most one consumer per partition; more would idle."""
        worker = next(w for w in WORKERS if w.name == name)
        wanted = self.workers[name].max_tasks
        return min(wanted, self.kafka.partitions_per_topic) if worker.topic else wanted

    def require_public_tls(self) -> None:
        """Refuse a public listener without TLS unless plain HTTP was asked for by name."""
        if not self.certificate_arn and not self.allow_plain_http:
            raise ConfigError(
                "the public load balancer would serve plain HTTP: set certificate_arn to an ACM "
                "certificate in the sizing file, or allow_plain_http: true for a throwaway "
                "test stack (see README, Going to AWS)"
            )

    def adjustments(self) -> list[str]:
        """Where the requested sizes were changed to be deployable, one sentence each."""
        notes = list(self.notes)
        if self.redis.shards > 1:
            notes.append(
                f"redis.shards {self.redis.shards} deployed as one primary with "
                f"{self.redis.replicas_per_shard} replica(s) on {self.redis.node_type}: chirp's "
                "Redis client talks to one primary, not to a cluster; choose a node_type that "
                "holds every feed"
            )
        if self.kafka_brokers != self.kafka.brokers:
            notes.append(
                f"kafka.brokers {self.kafka.brokers} rounded up to {self.kafka_brokers}: MSK "
                f"puts the same number of brokers in each of {self.availability_zones} zones"
            )
        for worker in WORKERS:
            wanted = self.workers[worker.name].max_tasks
            if self.worker_max_tasks(worker.name) < wanted:
                notes.append(
                    f"workers.{worker.name}.max_tasks {wanted} capped at "
                    f"{self.kafka.partitions_per_topic}: a consumer group cannot use more "
                    "consumers than its topic has partitions"
                )
        return notes


def default_sizing_file(settings: Settings) -> Path:
    """Where `chirp up --provider aws` looks for the simulation's sizing file."""
    candidates = [settings.run_dir / name for name in SIZING_FILE_NAMES]
    return next((path for path in candidates if path.exists()), candidates[0])


def load_sizing(path: Path) -> AwsSizing:
    """The sizing in `path`, or the seed's defaults when there is no such file."""
    if not path.exists():
        return AwsSizing()
    data = _read(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold an object of sizes, not {type(data).__name__}")
    try:
        if is_capacity_plan(data):
            zones = data.get("availability_zones", AwsSizing().availability_zones)
            data, notes = from_capacity_plan(data, zones=int(zones))
            data["notes"] = tuple(notes)
        return AwsSizing.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_one_line(path, error)) from error
    except (ValueError, TypeError, AttributeError) as error:
        raise ConfigError(f"{path}: {error}") from error


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ConfigError(
                f"{path} is not valid YAML ({str(error).splitlines()[0]}); fix it, or delete it "
                "to use the design review's sizes"
            ) from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path} is not valid JSON ({error.msg} at line {error.lineno}, column "
            f"{error.colno}); fix it, or delete it to use the design review's sizes"
        ) from error


def _one_line(path: Path, error: ValidationError) -> str:
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{path}: {where}: {message}{more}"
