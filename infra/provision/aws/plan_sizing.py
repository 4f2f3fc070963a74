"""Reading `chirp simulate capacity --emit-pulumi-config` output (schema `chirp.sizing/v1`).

The simulation speaks in fleet counts and EC2-style instance classes for a
planned peak; the AWS program needs autoscaling bounds and Fargate task
sizes. `from_capacity_plan` turns one into the other (keys of `AwsSizing`,
see `chirp.infra.provision.aws.sizing`) and says, one note per decision, what it chose:

- `gateways.count` and `workers.<name>.count` are the tasks needed at the
  planned peak: they become `max_tasks`; `min_tasks` is that divided by the
  plan's `load.peak_factor` (`--peak-factor`; 3, the design review's, in a plan
  that does not say), never fewer than one task per zone for the gateways.
- `instance_class` (e.g. `c5.large`) becomes the Fargate task with the same
  vCPUs and memory, rounded to a size Fargate offers.
- `redis.feed|tweet_cache|trending` become one cluster: the app reaches one
  Redis, so their shards are added up on the feed cluster's node class.
- `kafka.partitions` is the partition count; `broker_disk_gb` the EBS volume;
  `rds` is PostgreSQL; `dynamodb.billing_mode` picks on-demand or provisioned
  (`planned_wcu`/`planned_rcu`).

Keys of `AwsSizing` that the simulation does not write (region, image,
alarms, ...) may stand beside its keys in the same file and are kept.
"""

from __future__ import annotations

import math
from typing import Any

from chirp.infra.sizing.pulumi_config import SCHEMA

SCHEMA_PREFIX = SCHEMA.rpartition("/")[0] + "/"
DEFAULT_PEAK_FACTOR = 3.0
"""Peak over average for a plan that does not carry its own (the design review's)."""

_PLAN_KEYS = (
    "schema",
    "generated_by",
    "load",
    "gateways",
    "workers",
    "kafka",
    "redis",
    "dynamodb",
    "rds",
    "opensearch",
)
_FARGATE_CPUS = (1, 2, 4, 8, 16)
_GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8, "t": 2}
_REDIS_ROLES = ("feed", "tweet_cache", "trending")


def is_capacity_plan(document: dict[str, Any]) -> bool:
    """Whether a sizing document is the simulation's rather than `AwsSizing`'s own keys."""
    return str(document.get("schema", "")).startswith(SCHEMA_PREFIX)


def from_capacity_plan(
    document: dict[str, Any], zones: int = 3
) -> tuple[dict[str, Any], list[str]]:
    """`AwsSizing` keys for a `chirp.sizing/v1` document, and a note on every choice made."""
    if document.get("schema") != SCHEMA:
        raise ValueError(f"schema {document.get('schema')!r} is not {SCHEMA!r}, the one understood")
    sizing = {key: value for key, value in document.items() if key not in _PLAN_KEYS}
    notes: list[str] = []
    peak_factor = _peak_factor(document)
    if "gateways" in document:
        sizing["gateway"] = _service(
            document["gateways"], "gateways", notes, floor=zones, peak_factor=peak_factor
        )
    if "workers" in document:
        sizing["workers"] = {
            name: _service(entry, f"workers.{name}", notes, floor=1, peak_factor=peak_factor)
            for name, entry in document["workers"].items()
        }
    if "kafka" in document:
        sizing["kafka"] = _kafka(document["kafka"])
    if "redis" in document:
        sizing["redis"] = _redis(document["redis"], notes)
    if "dynamodb" in document:
        sizing["dynamodb"] = _dynamodb(document["dynamodb"])
    if "rds" in document:
        rds = document["rds"]
        sizing["postgres"] = _rename(
            rds, {"instance_class": "instance_class", "read_replicas": "read_replicas"}
        )
    if "opensearch" in document:
        search = dict(document["opensearch"])
        if "instance_class" in search:
            search["instance_type"] = _suffixed(search.pop("instance_class"), ".search")
        sizing["opensearch"] = search
    return sizing, notes


def fargate_size(instance_class: str) -> tuple[int, int] | None:
    """(CPU units, MiB) of the Fargate task nearest an EC2 class: c5.large → (2048, 4096)."""
    family, _, size = instance_class.removeprefix("db.").removeprefix("cache.").partition(".")
    named = {"medium": 1, "large": 2, "xlarge": 4}
    if size in named:
        vcpus = named[size]
    elif size.endswith("xlarge") and size[: -len("xlarge")].isdigit():
        vcpus = 4 * int(size[: -len("xlarge")])
    else:
        return None
    gib_per_vcpu = _GIB_PER_VCPU.get(family[:1])
    if gib_per_vcpu is None:
        return None
    fargate_vcpus = next((c for c in _FARGATE_CPUS if c >= vcpus), _FARGATE_CPUS[-1])
    cpu = fargate_vcpus * 1024
    memory_gib = min(vcpus * gib_per_vcpu, {1: 8, 2: 16, 4: 30, 8: 60, 16: 120}[fargate_vcpus])
    memory_gib = max(memory_gib, 2 * fargate_vcpus)
    step_gib = 4 if fargate_vcpus == 8 else 8 if fargate_vcpus == 16 else 1
    return cpu, math.ceil(memory_gib / step_gib) * step_gib * 1024


def _peak_factor(document: dict[str, Any]) -> float:
    load = document.get("load")
    value = load.get("peak_factor") if isinstance(load, dict) else None
    if value is None:
        return DEFAULT_PEAK_FACTOR
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        raise ValueError(f"load.peak_factor {value!r} must be a number of at least 1")
    return float(value)


def _service(
    entry: dict[str, Any], where: str, notes: list[str], floor: int, peak_factor: float
) -> dict[str, Any]:
    service: dict[str, Any] = {}
    if "count" in entry:
        peak = int(entry["count"])
        service["max_tasks"] = max(peak, floor)
        quiet = math.ceil(peak / peak_factor)
        service["min_tasks"] = min(service["max_tasks"], max(floor, quiet))
    if "instance_class" in entry:
        size = fargate_size(str(entry["instance_class"]))
        if size is None:
            notes.append(
                f"{where}.instance_class {entry['instance_class']!r} has no Fargate "
                "equivalent here; the default task size is used"
            )
        else:
            service["cpu"], service["memory_mb"] = size
    return service


def _kafka(kafka: dict[str, Any]) -> dict[str, Any]:
    translated = _rename(
        kafka,
        {
            "brokers": "brokers",
            "partitions": "partitions_per_topic",
            "replication_factor": "replication_factor",
            "retention_hours": "retention_hours",
            "broker_disk_gb": "volume_gb",
        },
    )
    if "instance_class" in kafka:
        translated["instance_type"] = _prefixed(kafka["instance_class"], "kafka.")
    return translated


def _redis(redis: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    clusters = [redis[role] for role in _REDIS_ROLES if isinstance(redis.get(role), dict)]
    if not clusters:
        return {}
    feed = redis.get("feed", clusters[0])
    merged: dict[str, Any] = {
        "shards": sum(int(c.get("shards", 1)) for c in clusters),
        "replicas_per_shard": max(int(c.get("replicas_per_shard", 1)) for c in clusters),
    }
    if "node_class" in feed:
        merged["node_type"] = _prefixed(feed["node_class"], "cache.")
    if len(clusters) > 1:
        notes.append(
            f"redis: the app reaches one Redis, so the plan's {len(clusters)} clusters "
            f"are one cluster of {merged['shards']} shards"
        )
    return merged


def _dynamodb(dynamodb: dict[str, Any]) -> dict[str, Any]:
    translated: dict[str, Any] = {
        "on_demand": dynamodb.get("billing_mode", "PAY_PER_REQUEST") == "PAY_PER_REQUEST"
    }
    translated.update(
        _rename(dynamodb, {"planned_rcu": "read_capacity", "planned_wcu": "write_capacity"})
    )
    return translated


def _rename(section: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {new: section[old] for old, new in names.items() if old in section}


def _prefixed(value: str, prefix: str) -> str:
    return value if value.startswith(prefix) else prefix + value


def _suffixed(value: str, suffix: str) -> str:
    return value if value.endswith(suffix) else value + suffix
