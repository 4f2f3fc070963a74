"""The capacity plan: load, storage, throughput, memory, fleet and cost from assumptions.

``plan_capacity`` reads like the design review's "Capacity Planning" and "Component
Sizing" sections, in order:

    load        tweets and feed reads per second: average, peak, plan
    storage     tweet bytes per day, month, year
    fan-out     feed insertions per tweet under the review's hybrid policy, from the
                follower power law, and the fan-out fleet
    kafka       messages in, replica writes, retained bytes, brokers, partitions
    redis       feed, tweet-cache and trending clusters: shards by memory and by ops
    dynamodb    write and read capacity units, partitions
    fleet       gateways, each worker type, brokers, Redis nodes, RDS replicas,
                OpenSearch data nodes
    cost        monthly, per component and in total

Then ``seed_review.compare_with_seed`` holds the result against every figure the
seed prints and collects the ones that do not follow from its own assumptions.

Units: bytes are decimal (GB = 10^9, as the review's 250 GB/day = 500M x 500 B);
node memory is binary (GiB), as instance sheets give it.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from chirp.core.errors import ConfigError
from chirp.infra.sizing.assumptions import Assumptions
from chirp.infra.sizing.followers import FollowerDistribution

SECONDS_PER_DAY = 86_400
GB = 1e9
GIB = 2**30
WCU_BYTES = 1_024
RCU_BYTES = 4_096
DYNAMODB_PARTITION_WCU = 1_000
DYNAMODB_PARTITION_RCU = 3_000
DYNAMODB_PARTITION_BYTES = 10 * GB
MIN_GATEWAYS = 2
WORKER_TYPES = ("fanout", "search-indexer", "trending", "notify", "analytics")


class Rates(BaseModel):
    average: float
    peak: float
    plan: float


class LoadPlan(BaseModel):
    tweets_per_day: float
    reads_per_day: float
    writes_per_s: Rates
    reads_per_s: Rates
    read_share: float


class StoragePlan(BaseModel):
    per_day_bytes: float
    per_month_bytes: float
    per_year_bytes: float


class FanoutPlan(BaseModel):
    follower_x_min: float
    deliveries_per_tweet: float
    deliveries_per_tweet_push_all: float
    feed_writes_per_s: float
    feed_writes_per_s_push_all: float
    celebrity_merges_per_read: float
    workers: int
    sized_by: str


class KafkaPlan(BaseModel):
    messages_in_per_s: float
    bytes_in_per_s: float
    replica_writes_per_s: float
    consumer_reads_per_s: float
    retained_bytes: float
    brokers_by_throughput: int
    brokers_by_disk: int
    brokers: int
    partitions: int
    cluster_messages_per_s: float


class RedisCluster(BaseModel):
    node_class: str
    data_bytes: float
    ops_per_s: float
    shards_by_memory: int
    shards_by_ops: int
    shards: int
    replicas_per_shard: int
    nodes: int


class RedisPlan(BaseModel):
    feed: RedisCluster
    tweet_cache: RedisCluster
    trending: RedisCluster


class DynamoPlan(BaseModel):
    table_wcu: float
    gsi_wcu: float
    wcu: float
    item_reads_per_s: float
    rcu: float
    partitions: int


class Fleet(BaseModel):
    gateways: int
    workers: dict[str, int]
    kafka_brokers: int
    redis_nodes: int
    rds_read_replicas: int
    opensearch_data_nodes: int


class EdgePlan(BaseModel):
    """Media through the edge: what it serves, and what its misses ask of the origin."""

    media_views_per_s: float
    egress_bytes_per_s: float
    origin_requests_per_s: float
    origin_egress_bytes_per_s: float


class CapacityPlan(BaseModel):
    """The derived plan; rates per second, sizes in bytes, cost in USD per month."""

    load: LoadPlan
    storage: StoragePlan
    fanout: FanoutPlan
    kafka: KafkaPlan
    redis: RedisPlan
    dynamodb: DynamoPlan
    postgres_queries_per_s: float
    opensearch_bytes: float
    fleet: Fleet
    monthly_cost: dict[str, float]
    edge: EdgePlan | None = None


def plan_capacity(a: Assumptions) -> CapacityPlan:
    """Derive the whole plan from ``a``; no I/O."""
    load = _load(a)
    storage = _storage(a, load)
    fanout = _fanout(a, load)
    workers = _workers(a, load, fanout)
    kafka = _kafka(a, load, max(workers.values()))
    redis = _redis(a, load, fanout)
    dynamodb = _dynamodb(a, load, storage)
    pg_qps = load.reads_per_s.plan * (1 - a.caching.feed_hit)
    search_bytes = (
        load.tweets_per_day
        * a.sizes.tweet_bytes
        * a.search.retention_days
        * (1 + a.search.replicas)
    )
    fleet = Fleet(
        gateways=_gateways(a, load),
        workers=workers,
        kafka_brokers=kafka.brokers,
        redis_nodes=redis.feed.nodes + redis.tweet_cache.nodes + redis.trending.nodes,
        rds_read_replicas=max(1, ceil(pg_qps / a.units.postgres_replica_qps)),
        opensearch_data_nodes=max(
            a.search.min_nodes,
            ceil(search_bytes / (a.units.opensearch_node_storage_gb * GB * a.units.max_disk_fill)),
        ),
    )
    plan = CapacityPlan(
        load=load,
        storage=storage,
        fanout=fanout,
        kafka=kafka,
        redis=redis,
        dynamodb=dynamodb,
        postgres_queries_per_s=pg_qps,
        opensearch_bytes=search_bytes,
        fleet=fleet,
        monthly_cost={},
    )
    plan.monthly_cost = monthly_cost(a, plan)
    plan.edge = edge_plan(a, load)
    return plan


def edge_plan(a: Assumptions, load: LoadPlan) -> EdgePlan:
    """At the planned read rate: images viewed, the edge's egress, and the origin's share
    (the misses) in requests and bytes."""
    views = load.reads_per_s.plan * a.edge.media_per_read
    misses = views * (1 - a.edge.hit_ratio)
    return EdgePlan(
        media_views_per_s=views,
        egress_bytes_per_s=views * a.edge.media_bytes,
        origin_requests_per_s=misses,
        origin_egress_bytes_per_s=misses * a.edge.media_bytes,
    )


def round_up_one_figure(x: float) -> float:
    """Round up to one significant figure: 17,361 -> 20,000 (the review's "plan for")."""
    if x <= 0:
        return 0.0
    magnitude = 10 ** math.floor(math.log10(x))
    return ceil(x / magnitude) * magnitude


def ceil(x: float) -> int:
    """Ceiling that ignores float noise: 20,000 / (20,000 / 30) is 30, not 31."""
    return math.ceil(x - 1e-9 * max(1.0, abs(x)))


def follower_law(a: Assumptions) -> FollowerDistribution:
    """The follower-count power law the assumptions describe."""
    f = a.followers
    return FollowerDistribution(f.exponent, f.mean, f.max_followers)


def monthly_cost(a: Assumptions, plan: CapacityPlan) -> dict[str, float]:
    """USD per month per component, and ``total``."""
    p, fleet = a.prices, plan.fleet
    cost = {
        "gateways": fleet.gateways * p.gateway_month,
        "workers": sum(fleet.workers.values()) * p.worker_month,
        "kafka": plan.kafka.brokers * p.kafka_broker_month
        + plan.kafka.retained_bytes / GB * p.kafka_storage_gb_month,
        "redis_feed": _redis_cost(a, plan.redis.feed),
        "redis_tweet_cache": _redis_cost(a, plan.redis.tweet_cache),
        "redis_trending": _redis_cost(a, plan.redis.trending),
        "dynamodb": _dynamodb_cost(a, plan),
        "rds": (1 + fleet.rds_read_replicas) * p.rds_instance_month,
        "opensearch": fleet.opensearch_data_nodes * p.opensearch_node_month
        + plan.opensearch_bytes / GB * p.opensearch_storage_gb_month,
    }
    cost["total"] = sum(cost.values())
    return cost


def _redis_cost(a: Assumptions, cluster: RedisCluster) -> float:
    return cluster.nodes * redis_node_price(a, cluster.node_class)


def redis_node_memory_bytes(a: Assumptions, node_class: str) -> float:
    try:
        return a.classes.redis_memory_gib[node_class] * GIB
    except KeyError:
        raise ConfigError(
            f"no memory known for Redis node class {node_class!r}; "
            "add it under [classes.redis_memory_gib]"
        ) from None


def redis_node_price(a: Assumptions, node_class: str) -> float:
    try:
        return a.prices.redis_node_month[node_class]
    except KeyError:
        raise ConfigError(
            f"no price known for Redis node class {node_class!r}; "
            "add it under [prices.redis_node_month]"
        ) from None


def _rates(per_day: float, a: Assumptions) -> Rates:
    average = per_day / SECONDS_PER_DAY
    peak = average * a.load.peak_factor
    return Rates(average=average, peak=peak, plan=round_up_one_figure(peak * a.load.plan_headroom))


def _load(a: Assumptions) -> LoadPlan:
    tweets = a.load.dau * a.load.tweets_per_user_day
    reads = a.load.dau * a.load.reads_per_user_day
    return LoadPlan(
        tweets_per_day=tweets,
        reads_per_day=reads,
        writes_per_s=_rates(tweets, a),
        reads_per_s=_rates(reads, a),
        read_share=reads / (reads + tweets),
    )


def _storage(a: Assumptions, load: LoadPlan) -> StoragePlan:
    day = load.tweets_per_day * a.sizes.tweet_bytes
    return StoragePlan(
        per_day_bytes=day,
        per_month_bytes=day * a.sizes.days_per_month,
        per_year_bytes=day * a.sizes.days_per_year,
    )


def _fanout(a: Assumptions, load: LoadPlan) -> FanoutPlan:
    law, f = follower_law(a), a.followers
    if f.small_max > f.celebrity_min:
        raise ConfigError("followers.small_max must not exceed followers.celebrity_min")
    per_tweet = law.partial_mean(0, f.small_max) + f.active_share * law.partial_mean(
        f.small_max, f.celebrity_min
    )
    feed_writes = load.writes_per_s.plan * per_tweet
    measured = a.units.fanout_worker_deliveries_per_s
    if measured:
        workers, sized_by = ceil(feed_writes / measured), "deliveries/s"
    else:
        workers = ceil(load.writes_per_s.plan / a.units.fanout_worker_tweets_per_s)
        sized_by = "tweets/s"
    return FanoutPlan(
        follower_x_min=law.x_min,
        deliveries_per_tweet=per_tweet,
        deliveries_per_tweet_push_all=law.mean,
        feed_writes_per_s=feed_writes,
        feed_writes_per_s_push_all=load.writes_per_s.plan * law.mean,
        # Everyone follows as many accounts as they have followers, on average.
        celebrity_merges_per_read=law.mean * law.edges_share_above(f.celebrity_min),
        workers=max(1, workers),
        sized_by=sized_by,
    )


def _workers(a: Assumptions, load: LoadPlan, fanout: FanoutPlan) -> dict[str, int]:
    u, tweets = a.units, load.writes_per_s.plan
    messages = tweets * a.kafka.events_per_tweet
    return {
        "fanout": fanout.workers,
        "search-indexer": max(1, ceil(tweets / u.search_worker_docs_per_s)),
        "trending": max(1, ceil(tweets / u.trending_worker_tweets_per_s)),
        "notify": max(1, ceil(messages / u.notify_worker_events_per_s)),
        "analytics": max(1, ceil(messages / u.analytics_worker_events_per_s)),
    }


def _kafka(a: Assumptions, load: LoadPlan, largest_group: int) -> KafkaPlan:
    k, u = a.kafka, a.units
    messages = load.writes_per_s.plan * k.events_per_tweet
    replica_writes = messages * k.replication
    average_messages = load.writes_per_s.average * k.events_per_tweet
    retained = (
        average_messages * SECONDS_PER_DAY * k.retention_days * a.sizes.tweet_bytes * k.replication
    )
    by_throughput = ceil(replica_writes / u.kafka_broker_msgs_per_s)
    by_disk = ceil(retained / (u.kafka_broker_disk_gb * GB * u.max_disk_fill))
    brokers = max(k.replication, by_throughput, by_disk)
    return KafkaPlan(
        messages_in_per_s=messages,
        bytes_in_per_s=messages * a.sizes.tweet_bytes,
        replica_writes_per_s=replica_writes,
        consumer_reads_per_s=messages * k.consumer_groups,
        retained_bytes=retained,
        brokers_by_throughput=by_throughput,
        brokers_by_disk=by_disk,
        brokers=brokers,
        # A consumer group cannot use more consumers than the topic has partitions.
        partitions=max(k.min_partitions, largest_group),
        cluster_messages_per_s=brokers * u.kafka_broker_msgs_per_s,
    )


def _redis(a: Assumptions, load: LoadPlan, fanout: FanoutPlan) -> RedisPlan:
    reads = load.reads_per_s.plan
    feed_bytes = a.load.dau * a.sizes.feed_length * a.sizes.feed_entry_bytes
    feed_ops = fanout.feed_writes_per_s + reads * (1 + fanout.celebrity_merges_per_read)
    # A feed read fetches the page's tweets and writes back the ones it missed.
    tweet_ops = reads * a.sizes.feed_page * (2 - a.caching.tweet_hit)
    tweet_bytes = a.sizes.hot_tweets * a.sizes.cached_tweet_bytes
    c = a.classes
    return RedisPlan(
        feed=_cluster(a, c.redis_feed, feed_bytes, feed_ops),
        tweet_cache=_cluster(a, c.redis_tweet, tweet_bytes, tweet_ops),
        trending=_cluster(a, c.redis_trending, 0.0, load.writes_per_s.plan),
    )


def _cluster(a: Assumptions, node_class: str, data_bytes: float, ops: float) -> RedisCluster:
    usable = redis_node_memory_bytes(a, node_class) * a.units.redis_max_fill
    by_memory = ceil(data_bytes / usable)
    by_ops = ceil(ops / a.units.redis_node_ops_per_s)
    shards = max(1, by_memory, by_ops)
    replicas = a.caching.replicas_per_shard
    return RedisCluster(
        node_class=node_class,
        data_bytes=data_bytes,
        ops_per_s=ops,
        shards_by_memory=by_memory,
        shards_by_ops=by_ops,
        shards=shards,
        replicas_per_shard=replicas,
        nodes=shards * (1 + replicas),
    )


def _dynamodb(a: Assumptions, load: LoadPlan, storage: StoragePlan) -> DynamoPlan:
    table_wcu = load.writes_per_s.plan * ceil(a.sizes.tweet_bytes / WCU_BYTES)
    gsi_wcu = table_wcu * a.dynamodb.gsis
    item_reads = load.reads_per_s.plan * a.sizes.feed_page * (1 - a.caching.tweet_hit)
    rcu = item_reads * _rcu_per_item(a)
    partitions = max(
        ceil((table_wcu + gsi_wcu) / DYNAMODB_PARTITION_WCU),
        ceil(rcu / DYNAMODB_PARTITION_RCU),
        ceil(storage.per_year_bytes / DYNAMODB_PARTITION_BYTES),
    )
    return DynamoPlan(
        table_wcu=table_wcu,
        gsi_wcu=gsi_wcu,
        wcu=table_wcu + gsi_wcu,
        item_reads_per_s=item_reads,
        rcu=rcu,
        partitions=partitions,
    )


def _rcu_per_item(a: Assumptions) -> float:
    units = ceil(a.sizes.tweet_bytes / RCU_BYTES)
    return units / 2 if a.dynamodb.eventually_consistent else float(units)


def _dynamodb_cost(a: Assumptions, plan: CapacityPlan) -> float:
    """On-demand: average request units over a month, and a year's storage."""
    p = a.prices
    seconds = SECONDS_PER_DAY * a.sizes.days_per_month
    plan_to_average = plan.load.writes_per_s.average / plan.load.writes_per_s.plan
    write_units = plan.dynamodb.wcu * plan_to_average * seconds
    read_ratio = plan.load.reads_per_s.average / plan.load.reads_per_s.plan
    read_units = plan.dynamodb.rcu * read_ratio * seconds
    return (
        write_units / 1e6 * p.dynamodb_write_per_million
        + read_units / 1e6 * p.dynamodb_read_per_million
        + plan.storage.per_year_bytes / GB * p.dynamodb_storage_gb_month
    )


def _gateways(a: Assumptions, load: LoadPlan) -> int:
    busy = (
        load.reads_per_s.plan / a.units.gateway_feed_reads_per_s
        + load.writes_per_s.plan / a.units.gateway_posts_per_s
    )
    return max(MIN_GATEWAYS, ceil(busy))
