"""The sizes the Pulumi AWS program reads, written by ``--emit-pulumi-config FILE``.

The file is JSON (``.json``) or YAML (``.yaml``/``.yml``) holding one object:

    schema: chirp.sizing/v1            bumped on any incompatible change
    generated_by: chirp simulate capacity
    load:
      plan_writes_per_s: float         tweets/s the fleet is sized for
      plan_reads_per_s: float          feed reads/s the fleet is sized for
      peak_factor: float               peak over average: the counts below / this = the quiet fleet
    gateways:
      count: int                       gateway tasks behind the ALB
      instance_class: str
    workers:                           one entry per worker type:
      <fanout|search-indexer|trending|notify|analytics>:
        count: int                     consumers in that group (<= kafka.partitions)
        instance_class: str
    kafka:
      brokers: int
      instance_class: str              an MSK broker type
      partitions: int                  per topic; >= the largest consumer group
      replication_factor: int
      retention_hours: int
      broker_disk_gb: int
    redis:                             ElastiCache (deployed as one primary + replicas)
      <feed|tweet_cache|trending>:
        shards: int                    node groups
        replicas_per_shard: int
        node_class: str
    dynamodb:
      billing_mode: PAY_PER_REQUEST
      planned_wcu: int                 table + GSIs, for alarms and quotas
      planned_rcu: int
    rds:                               PostgreSQL
      instance_class: str
      read_replicas: int
    opensearch:
      data_nodes: int
      instance_class: str
      volume_gb: int                   EBS per data node

Every count is at least 1. Unknown keys must be ignored by readers, so fields can be
added without a schema bump.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml

from chirp.core.errors import ConfigError
from chirp.infra.sizing.assumptions import Assumptions
from chirp.infra.sizing.capacity import CapacityPlan, RedisCluster

SCHEMA = "chirp.sizing/v1"
"""The document's schema; its readers (the AWS provider) check it against this one name."""


def pulumi_sizes(a: Assumptions, plan: CapacityPlan) -> dict[str, Any]:
    """The document above, from a plan and the assumptions it was made with."""
    c, fleet = a.classes, plan.fleet
    return {
        "schema": SCHEMA,
        "generated_by": "chirp simulate capacity",
        "load": {
            "plan_writes_per_s": plan.load.writes_per_s.plan,
            "plan_reads_per_s": plan.load.reads_per_s.plan,
            "peak_factor": a.load.peak_factor,
        },
        "gateways": {"count": fleet.gateways, "instance_class": c.gateway},
        "workers": {
            name: {"count": count, "instance_class": c.worker}
            for name, count in fleet.workers.items()
        },
        "kafka": {
            "brokers": plan.kafka.brokers,
            "instance_class": c.kafka_broker,
            "partitions": plan.kafka.partitions,
            "replication_factor": a.kafka.replication,
            "retention_hours": round(a.kafka.retention_days * 24),
            "broker_disk_gb": math.ceil(a.units.kafka_broker_disk_gb),
        },
        "redis": {
            "feed": _redis(plan.redis.feed),
            "tweet_cache": _redis(plan.redis.tweet_cache),
            "trending": _redis(plan.redis.trending),
        },
        "dynamodb": {
            "billing_mode": "PAY_PER_REQUEST",
            "planned_wcu": math.ceil(plan.dynamodb.wcu),
            "planned_rcu": math.ceil(plan.dynamodb.rcu),
        },
        "rds": {"instance_class": c.rds, "read_replicas": fleet.rds_read_replicas},
        "opensearch": {
            "data_nodes": fleet.opensearch_data_nodes,
            "instance_class": c.opensearch,
            "volume_gb": math.ceil(a.units.opensearch_node_storage_gb),
        },
    }


def write_pulumi_config(path: Path, sizes: dict[str, Any]) -> None:
    """Write ``sizes`` as JSON or YAML, chosen by the file's suffix."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(sizes, indent=2) + "\n"
    elif suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(sizes, sort_keys=False)
    else:
        raise ConfigError(f"pulumi config {path} must end in .json, .yaml or .yml")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write pulumi config {path}: {error.strerror}") from None


def _redis(cluster: RedisCluster) -> dict[str, Any]:
    return {
        "shards": cluster.shards,
        "replicas_per_shard": cluster.replicas_per_shard,
        "node_class": cluster.node_class,
    }
