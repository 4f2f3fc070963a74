"""What the capacity model assumes: the design review's figures by default, each overridable.

Sections (also the TOML tables of a ``--config`` file, see
``scenarios/capacity/seed.toml``):

    load        users, tweets and feed reads per user per day, peak factor
    sizes       bytes per tweet, feed entry, cached tweet; feed length and page
    caching     hit rates and TTLs of the feed and tweet caches
    followers   the follower-count power law and the review's hybrid thresholds
    kafka       retention, replication, partitions, consumer groups
    dynamodb    GSIs and the read consistency of hydration
    search      how long tweets stay searchable, replicas
    units       what one unit of each fleet can carry (assumed or measured)
    classes     instance classes, and the memory of each Redis node class
    prices      monthly price of each unit (approximate on-demand list prices)

Where the review gives a figure the default is the review's; where it does not, the
default is chirp's assumption and says so in its description. Nothing here reads
the environment; the CLI maps options onto these fields.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chirp.core.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Load(_Section):
    mau: int = Field(
        default=300_000_000, gt=0, description="design review: 300M monthly active users"
    )
    dau: int = Field(
        default=100_000_000, gt=0, description="design review: 100M daily active users"
    )
    tweets_per_user_day: float = Field(
        default=5.0, gt=0, description="design review: 5 tweets/user/day"
    )
    reads_per_user_day: float = Field(
        default=50.0, gt=0, description="design review: 50 feed reads/user/day"
    )
    peak_factor: float = Field(
        default=3.0, ge=1, description="design review: peak is 3x the average"
    )
    plan_headroom: float = Field(
        default=1.0,
        ge=1,
        description="peak x headroom, rounded up to one significant figure, is the "
        "plan (design review: 17,361 -> 20,000)",
    )


class Sizes(_Section):
    tweet_bytes: int = Field(
        default=500, gt=0, description="design review: 500 bytes, text + metadata"
    )
    feed_entry_bytes: int = Field(
        default=8, gt=0, description="design review: 8 bytes per tweet id in a feed"
    )
    feed_length: int = Field(
        default=100, gt=0, description="design review sizing: ~100 tweet ids per feed"
    )
    cached_tweet_bytes: int = Field(
        default=2_000, gt=0, description="design review: ~2KB per cached tweet"
    )
    hot_tweets: int = Field(
        default=10_000_000, gt=0, description="design review: 10M hot tweets cached"
    )
    feed_page: int = Field(
        default=100, gt=0, description="design review read path: LRANGE feed 0 99"
    )
    days_per_month: int = Field(
        default=30, gt=0, description="design review: 250 GB/day -> 7.5 TB/month"
    )
    days_per_year: int = Field(default=365, gt=0, description="calendar year")


class Caching(_Section):
    feed_hit: float = Field(
        default=0.85, ge=0, le=1, description="design review: feed cache hit rate 85%"
    )
    tweet_hit: float = Field(
        default=0.70, ge=0, le=1, description="design review: tweet cache hit rate 70%"
    )
    tweet_ttl_s: float = Field(
        default=600, gt=0, description="design review: tweet cache TTL 10 minutes"
    )
    feed_ttl_s: float = Field(
        default=300, gt=0, description="design review: feed cache TTL 5 minutes"
    )
    replicas_per_shard: int = Field(
        default=1, ge=0, description="design review scenario 2: a replica for every Redis primary"
    )


class Followers(_Section):
    exponent: float = Field(default=2.2, gt=1, lt=10, description="chirp: power-law exponent")
    mean: float = Field(default=200.0, gt=0, description="chirp: mean followers per account")
    max_followers: float = Field(default=1e8, gt=1, description="chirp: largest account")
    active_share: float = Field(
        default=0.5, ge=0, le=1, description="chirp: share of followers active in the last 7 days"
    )
    small_max: int = Field(
        default=1_000, ge=1, description="design review: below this, push to all"
    )
    celebrity_min: int = Field(
        default=100_000, ge=1, description="design review: above this, pull on read"
    )


class Kafka(_Section):
    retention_days: float = Field(default=7, gt=0, description="design review: 7 days")
    replication: int = Field(default=3, ge=1, description="design review: replication factor 3")
    min_partitions: int = Field(
        default=100, ge=1, description="design review: 100 partitions per topic"
    )
    events_per_tweet: float = Field(
        default=1.0, gt=0, description="chirp: messages produced per tweet (tweet_created only)"
    )
    consumer_groups: int = Field(
        default=5, ge=1, description="fanout, search-indexer, trending, notify, analytics"
    )


class DynamoDB(_Section):
    gsis: int = Field(
        default=2, ge=0, description="design review: GSI-1 by tweet_id, GSI-2 by hashtag"
    )
    eventually_consistent: bool = Field(default=True, description="hydration reads at half an RCU")


class Search(_Section):
    retention_days: float = Field(
        default=365, gt=0, description="chirp: tweets searchable for a year"
    )
    replicas: int = Field(default=1, ge=0, description="chirp: one replica per shard")
    min_nodes: int = Field(default=3, ge=1, description="chirp: smallest highly available cluster")


class Units(_Section):
    """Per-unit capacities; `chirp bench` measures the first three, see measured.py."""

    gateway_feed_reads_per_s: float = Field(default=1_000, gt=0, description="chirp: per gateway")
    gateway_posts_per_s: float = Field(default=1_000, gt=0, description="chirp: per gateway")
    fanout_worker_deliveries_per_s: float | None = Field(
        default=None,
        gt=0,
        description="measured feed insertions/s per fan-out worker; when set it "
        "sizes the fan-out fleet instead of tweets/s",
    )
    fanout_worker_tweets_per_s: float = Field(
        default=100, gt=0, description="design review: 100 tweets/s"
    )
    search_worker_docs_per_s: float = Field(default=400, gt=0, description="chirp: bulk indexing")
    trending_worker_tweets_per_s: float = Field(default=1_000, gt=0, description="chirp")
    notify_worker_events_per_s: float = Field(default=1_000, gt=0, description="chirp")
    analytics_worker_events_per_s: float = Field(default=1_000, gt=0, description="chirp")
    kafka_broker_msgs_per_s: float = Field(
        default=50_000,
        gt=0,
        description="design review: 50K messages/s per broker, replica copies included",
    )
    kafka_broker_disk_gb: float = Field(default=2_000, gt=0, description="chirp: EBS per broker")
    redis_node_ops_per_s: float = Field(
        default=250_000, gt=0, description="chirp: key operations/s per Redis shard, pipelined"
    )
    redis_max_fill: float = Field(
        default=0.8, gt=0, le=1, description="design review: memory < 80%"
    )
    postgres_replica_qps: float = Field(default=5_000, gt=0, description="chirp: per read replica")
    opensearch_node_storage_gb: float = Field(
        default=2_000, gt=0, description="chirp: per data node"
    )
    max_disk_fill: float = Field(default=0.75, gt=0, le=1, description="chirp: disk watermark")


class Classes(_Section):
    gateway: str = "c5.xlarge"
    worker: str = "c5.large"
    kafka_broker: str = "kafka.m5.2xlarge"
    redis_feed: str = "cache.r6g.2xlarge"
    redis_tweet: str = "cache.r6g.xlarge"
    redis_trending: str = "cache.r6g.large"
    rds: str = "db.r6g.xlarge"
    opensearch: str = "r6g.large.search"
    redis_memory_gib: dict[str, float] = Field(
        default_factory=lambda: {
            "cache.r6g.large": 16.0,
            "cache.r6g.xlarge": 32.0,
            "cache.r6g.2xlarge": 64.0,
        },
        description="nominal memory of each node class (the review's 16/32 GB per node)",
    )


class Prices(_Section):
    """USD per month (730 hours); approximate us-east-1 on-demand list prices."""

    gateway_month: float = Field(default=124.10, ge=0, description="c5.xlarge")
    worker_month: float = Field(default=62.05, ge=0, description="c5.large")
    kafka_broker_month: float = Field(default=613.20, ge=0, description="kafka.m5.2xlarge")
    kafka_storage_gb_month: float = Field(default=0.10, ge=0)
    redis_node_month: dict[str, float] = Field(
        default_factory=lambda: {
            "cache.r6g.large": 150.38,
            "cache.r6g.xlarge": 300.03,
            "cache.r6g.2xlarge": 599.33,
        }
    )
    rds_instance_month: float = Field(default=328.50, ge=0, description="db.r6g.xlarge")
    opensearch_node_month: float = Field(default=121.91, ge=0, description="r6g.large.search")
    opensearch_storage_gb_month: float = Field(default=0.122, ge=0)
    dynamodb_write_per_million: float = Field(default=0.625, ge=0)
    dynamodb_read_per_million: float = Field(default=0.125, ge=0)
    dynamodb_storage_gb_month: float = Field(default=0.25, ge=0)


class Edge(_Section):
    media_per_read: float = Field(
        default=0.5, ge=0, description="chirp: images viewed per timeline read"
    )
    media_bytes: int = Field(default=200_000, gt=0, description="chirp: 200 KB per image served")
    hit_ratio: float = Field(
        default=0.9, ge=0, le=1, description="chirp: edge hit ratio (the goal; a bench measures it)"
    )


class Assumptions(_Section):
    """Everything the capacity model reads; the defaults are the review's world."""

    load: Load = Load()
    sizes: Sizes = Sizes()
    caching: Caching = Caching()
    followers: Followers = Followers()
    kafka: Kafka = Kafka()
    dynamodb: DynamoDB = DynamoDB()
    search: Search = Search()
    units: Units = Units()
    classes: Classes = Classes()
    prices: Prices = Prices()
    edge: Edge = Edge()

    def with_overrides(self, overrides: dict[str, Any]) -> Assumptions:
        """A copy with ``{"section.field": value}`` replaced, validated whole."""
        data = self.model_dump()
        for dotted, value in overrides.items():
            section, _, name = dotted.partition(".")
            if section not in data or not isinstance(data[section], dict) or not name:
                raise ConfigError(f"unknown setting {dotted!r}; use <section>.<field>")
            if name not in data[section]:
                raise ConfigError(f"unknown setting {dotted!r} in section [{section}]")
            data[section][name] = value
        return parse_assumptions(data, "options")


def parse_assumptions(data: dict[str, Any], source: str) -> Assumptions:
    """Validate ``data`` into :class:`Assumptions`; a bad value becomes one ConfigError line."""
    try:
        return Assumptions.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{source}: {where}: {first['msg']}") from None


def load_assumptions(path: Path) -> Assumptions:
    """Read a TOML file of sections as above; missing fields keep the review's defaults."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"capacity config {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read capacity config {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"capacity config {path} is not valid TOML: {error}") from None
    return parse_assumptions(data, str(path))


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``["section.field=value", ...]`` (``--set``) as ``{"section.field": "value"}``."""
    parsed: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects SECTION.FIELD=VALUE, got {item!r}")
        parsed[key.strip()] = value.strip()
    return parsed
