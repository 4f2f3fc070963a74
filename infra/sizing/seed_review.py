"""Every figure the design review (docs/simulation.md) prints for capacity, held against
what the model derives; its own figures carry the label `seed`.

Each comparison has a ``basis``:

- ``seed``: the derived value uses only the review's own assumptions (and AWS facts
  such as capacity-unit sizes or node memory), so a mismatch is an inconsistency
  in the review, listed under ``inconsistencies`` with the reason;
- ``chirp``: the derived value also rests on an assumption of chirp's (a unit
  capacity or a price the review does not give), so a mismatch is a difference of
  assumptions, shown beside but not called an error.

Where the review contradicts itself (two sections print different figures for the
same thing) ``seed`` is one figure and ``derived`` the other.

The checks are grouped by the review's sections, in its order; the review's own
figures are the ``SEED_*`` constants.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from chirp.infra.sizing.assumptions import Assumptions
from chirp.infra.sizing.capacity import (
    GB,
    GIB,
    CapacityPlan,
    redis_node_memory_bytes,
    redis_node_price,
)

TB = 1e12
COST_TOLERANCE = 0.25

# Capacity Planning
SEED_TWEETS_PER_DAY, SEED_READS_PER_DAY = 500e6, 5e9
SEED_WRITES = (5_787, 17_361, 20_000)  # average, peak, plan
SEED_READS = (57_870, 173_610, 200_000)
SEED_STORAGE = (250, 7.5, 90)  # GB/day, TB/month, TB/year
# Component Sizing
SEED_WCU, SEED_RCU, SEED_DYNAMODB_PARTITIONS = 20_000, 200_000, 1_000
SEED_DYNAMODB_COST = (5_000, 15_000)
SEED_FEED_NODES, SEED_FEED_NODE_CLASS, SEED_FEED_MEMORY_GB = 10, "cache.r6g.2xlarge", 320
SEED_FEEDS, SEED_FEED_IDS, SEED_FEED_BYTES, SEED_FEED_TOTAL_GB = 100e6, 100, 800, 8
SEED_WRITE_PATH_FEED_LENGTH = 1_000  # LTRIM feed 0 999, "keep last 1000 tweets"
SEED_TWEET_NODES, SEED_TWEET_NODE_CLASS, SEED_TWEET_MEMORY_GB = 5, "cache.r6g.xlarge", 160
SEED_HOT_TWEETS, SEED_TWEET_CACHE_GB = 10e6, 20
SEED_TRENDING_NODES, SEED_TRENDING_NODE_CLASS, SEED_TRENDING_MEMORY_GB = 3, "cache.r6g.large", 48
SEED_REDIS_COST = 3_000
SEED_BROKERS, SEED_KAFKA_TOTAL, SEED_KAFKA_COST, SEED_PARTITIONS = 10, 500_000, 5_000, 100
SEED_FANOUT_WORKERS, SEED_FANOUT_TOTAL = 200, 20_000
SEED_SEARCH_WORKERS, SEED_TRENDING_WORKERS = 50, 30
SEED_WORKER_COST, SEED_TOTAL_COST = 7_000, 25_000
SEED_PG_REPLICAS = (5, 10)
SEED_SEARCH_NODES = 5
# Caching hierarchy, read path, monitoring, failure scenarios, trade-offs
SEED_FEED_HIT_READ_PATH, SEED_FEED_HIT_L4 = 0.80, 0.85
SEED_REDIS_PRIMARIES_AND_REPLICAS = 20
SEED_LAG_ALERT_WORKERS, SEED_LAG_ALERT_QUEUE = 10_000, 5_000
SEED_READ_SHARE = 0.90

Basis = Literal["seed", "chirp"]


class SeedFigure(BaseModel):
    """One review figure beside the derived one; ``ok`` when they agree."""

    figure: str
    seed: float
    derived: float
    unit: str
    basis: Basis
    ok: bool
    why: str


def compare_with_seed(a: Assumptions, plan: CapacityPlan) -> list[SeedFigure]:
    """Every review figure the model can derive, in the order the review prints them."""
    return [figure for section in _SECTIONS for figure in section(a, plan)]


def inconsistencies(figures: list[SeedFigure]) -> list[SeedFigure]:
    """The review's figures that do not follow from its own assumptions."""
    return [f for f in figures if f.basis == "seed" and not f.ok]


def _load(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    w, r = p.load.writes_per_s, p.load.reads_per_s
    per_day = "DAU x per user per day"
    rounded_peak = math.floor(r.average) * a.load.peak_factor
    peak_why = "average x peak factor"
    if _same(SEED_READS[1], rounded_peak) and not _same(SEED_READS[1], r.peak):
        peak_why = (
            f"the review tripled its rounded average ({math.floor(r.average):,}) instead of "
            f"the exact {r.average:,.2f}/s; off by {r.peak - SEED_READS[1]:,.1f}"
        )
    return [
        _equal("tweets per day", SEED_TWEETS_PER_DAY, p.load.tweets_per_day, "tweets", per_day),
        _equal("writes/s average", SEED_WRITES[0], w.average, "tweets/s", "per day / 86,400 s"),
        _equal("writes/s peak", SEED_WRITES[1], w.peak, "tweets/s", "average x peak factor"),
        _equal("writes/s plan", SEED_WRITES[2], w.plan, "tweets/s", _PLAN_WHY),
        _equal("feed reads per day", SEED_READS_PER_DAY, p.load.reads_per_day, "reads", per_day),
        _equal("reads/s average", SEED_READS[0], r.average, "reads/s", "per day / 86,400 s"),
        _equal("reads/s peak", SEED_READS[1], r.peak, "reads/s", peak_why),
        _equal("reads/s plan", SEED_READS[2], r.plan, "reads/s", _PLAN_WHY),
    ]


_PLAN_WHY = "peak rounded up to one significant figure"


def _storage(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    s = p.storage
    year = s.per_year_bytes / TB
    year_why = f"per day x {a.sizes.days_per_year} days"
    tweets_why = f"tweets per day x {a.sizes.tweet_bytes:,} bytes"
    if a.sizes.days_per_year == 365:
        year_why += f"; the review's 90 TB is 12 x 7.5 TB, a 360-day year, {year - 90:.2f} TB short"
    return [
        _equal("storage per day", SEED_STORAGE[0], s.per_day_bytes / GB, "GB", tweets_why),
        _equal(
            "storage per month",
            SEED_STORAGE[1],
            s.per_month_bytes / TB,
            "TB",
            f"per day x {a.sizes.days_per_month}-day month",
        ),
        _equal("storage per year", SEED_STORAGE[2], year, "TB", year_why),
    ]


def _dynamodb(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    d = p.dynamodb
    wcu_why = f"1 WCU per write of <= 1 KB at the plan rate: {d.table_wcu:,.0f} for the table"
    if d.gsi_wcu:
        wcu_why += (
            f"; each of its {a.dynamodb.gsis} GSIs (by tweet_id, by hashtag) takes a write per "
            f"item too: +{d.gsi_wcu:,.0f} (fewer if a GSI is sparse)"
        )
    rcu = "half an RCU (eventually consistent)" if a.dynamodb.eventually_consistent else "1 RCU"
    rcu_why = (
        f"a feed read hydrates {a.sizes.feed_page} ids (LRANGE 0 99) and "
        f"{1 - a.caching.tweet_hit:.0%} miss the tweet cache: {d.item_reads_per_s:,.0f} "
        f"item reads/s at {rcu}; the review's figure is one read per feed read"
    )
    low, high = SEED_DYNAMODB_COST
    cost = p.monthly_cost["dynamodb"]
    return [
        _equal("DynamoDB write capacity", SEED_WCU, d.wcu, "WCU", wcu_why),
        _equal("DynamoDB read capacity", SEED_RCU, d.rcu, "RCU", rcu_why),
        _judged(
            "DynamoDB partitions (at least)",
            SEED_DYNAMODB_PARTITIONS,
            d.partitions,
            "partitions",
            d.partitions >= SEED_DYNAMODB_PARTITIONS,
            "max of WCU/1,000, RCU/3,000 and a year's data/10 GB per partition",
        ),
        _judged(
            "DynamoDB cost per month (upper)",
            high,
            cost,
            "USD",
            low <= cost <= high,
            "on-demand units at the average rate plus a year's storage, at chirp's prices",
            basis="chirp",
        ),
    ]


def _redis(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    feed_nodes_gib = SEED_FEED_NODES * redis_node_memory_bytes(a, SEED_FEED_NODE_CLASS) / GIB
    tweet_nodes_gib = SEED_TWEET_NODES * redis_node_memory_bytes(a, SEED_TWEET_NODE_CLASS) / GIB
    trending_gib = SEED_TRENDING_NODES * redis_node_memory_bytes(a, SEED_TRENDING_NODE_CLASS) / GIB
    feed_bytes = a.sizes.feed_length * a.sizes.feed_entry_bytes
    long_feeds_gb = a.load.dau * SEED_WRITE_PATH_FEED_LENGTH * a.sizes.feed_entry_bytes / GB
    hot = p.load.writes_per_s.peak * a.caching.tweet_ttl_s
    seed_cost = (
        SEED_FEED_NODES * redis_node_price(a, SEED_FEED_NODE_CLASS)
        + SEED_TWEET_NODES * redis_node_price(a, SEED_TWEET_NODE_CLASS)
        + SEED_TRENDING_NODES * redis_node_price(a, SEED_TRENDING_NODE_CLASS)
    )
    return [
        _equal(
            "feed cluster memory",
            SEED_FEED_MEMORY_GB,
            feed_nodes_gib,
            "GiB",
            f"{SEED_FEED_NODES} x {SEED_FEED_NODE_CLASS} at {feed_nodes_gib / 10:g} GiB each; "
            "320 GB is 10 nodes of the next size down",
        ),
        _equal("feeds stored", SEED_FEEDS, a.load.dau, "feeds", "one feed per daily active user"),
        _equal("bytes per feed", SEED_FEED_BYTES, feed_bytes, "bytes", "ids x bytes per id"),
        _equal(
            "feed cache data",
            SEED_FEED_TOTAL_GB,
            p.redis.feed.data_bytes / GB,
            "GB",
            f"{a.load.dau:,} feeds x {feed_bytes:,} bytes; the review's 8 GB drops a factor of 10",
        ),
        _judged(
            "feed length used for sizing",
            SEED_FEED_IDS,
            SEED_WRITE_PATH_FEED_LENGTH,
            "tweet ids",
            a.sizes.feed_length == SEED_WRITE_PATH_FEED_LENGTH,
            "sizing assumes ~100 ids, but the write path keeps 1,000 (LTRIM 0 999): "
            f"{long_feeds_gb:,.0f} GB of feeds, more than the cluster's 320 GB",
        ),
        _equal(
            "tweet cache cluster memory",
            SEED_TWEET_MEMORY_GB,
            tweet_nodes_gib,
            "GiB",
            f"{SEED_TWEET_NODES} x {SEED_TWEET_NODE_CLASS}",
        ),
        _judged(
            "hot tweets cached",
            SEED_HOT_TWEETS,
            hot,
            "tweets",
            math.isclose(_to_one_figure(hot), SEED_HOT_TWEETS),
            f"peak tweets/s x the {a.caching.tweet_ttl_s / 60:g}-minute TTL, to one figure",
        ),
        _equal(
            "tweet cache data",
            SEED_TWEET_CACHE_GB,
            p.redis.tweet_cache.data_bytes / GB,
            "GB",
            f"hot tweets x {a.sizes.cached_tweet_bytes:,} bytes",
        ),
        _equal(
            "trending cluster memory",
            SEED_TRENDING_MEMORY_GB,
            trending_gib,
            "GiB",
            f"{SEED_TRENDING_NODES} x {SEED_TRENDING_NODE_CLASS}",
        ),
        _contradiction(
            "feed cluster nodes",
            SEED_FEED_NODES,
            SEED_REDIS_PRIMARIES_AND_REPLICAS,
            "nodes",
            "sizing counts 10 nodes, but failure scenario 2 runs 10 primaries and 10 "
            "replicas: 20 nodes, which the ~$3,000 does not cover",
        ),
        _judged(
            "Redis cost per month (the review's 18 nodes)",
            SEED_REDIS_COST,
            seed_cost,
            "USD",
            _near(SEED_REDIS_COST, seed_cost),
            "its node counts at chirp's prices",
            basis="chirp",
        ),
    ]


def _kafka(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    k = p.kafka
    seed_cost = SEED_BROKERS * a.prices.kafka_broker_month + (
        k.retained_bytes / GB * a.prices.kafka_storage_gb_month
    )
    return [
        _equal(
            "Kafka cluster throughput",
            SEED_KAFKA_TOTAL,
            SEED_BROKERS * a.units.kafka_broker_msgs_per_s,
            "messages/s",
            "brokers x messages/s per broker",
        ),
        _equal(
            "Kafka brokers",
            SEED_BROKERS,
            k.brokers,
            "brokers",
            f"max(replication, {k.brokers_by_throughput} by replica writes, "
            f"{k.brokers_by_disk} by {a.kafka.retention_days:g}-day retention)",
            basis="chirp",
        ),
        _judged(
            "Kafka cost per month (the review's 10 brokers)",
            SEED_KAFKA_COST,
            seed_cost,
            "USD",
            _near(SEED_KAFKA_COST, seed_cost),
            "brokers and retained bytes at chirp's prices",
            basis="chirp",
        ),
    ]


def _workers(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    per_worker = a.units.fanout_worker_tweets_per_s
    useful = min(SEED_FANOUT_WORKERS, SEED_PARTITIONS)
    seed_count = SEED_FANOUT_WORKERS + SEED_SEARCH_WORKERS + SEED_TRENDING_WORKERS
    seed_cost = seed_count * a.prices.worker_month
    measured = p.fanout.sized_by != "tweets/s"
    return [
        _equal(
            "fan-out capacity",
            SEED_FANOUT_TOTAL,
            SEED_FANOUT_WORKERS * per_worker,
            "tweets/s",
            "workers x tweets/s per worker",
        ),
        _equal(
            "fan-out workers",
            SEED_FANOUT_WORKERS,
            p.fanout.workers,
            "workers",
            f"plan writes/s / capacity per worker ({p.fanout.sized_by})",
            basis="chirp" if measured else "seed",
        ),
        _equal(
            "fan-out throughput with 100 partitions",
            SEED_FANOUT_TOTAL,
            useful * per_worker,
            "tweets/s",
            f"a consumer group uses at most one consumer per partition: {useful} of the "
            f"{SEED_FANOUT_WORKERS} workers, {useful * per_worker:,.0f} tweets/s, below the "
            f"{p.load.writes_per_s.peak:,.0f}/s peak",
        ),
        _equal(
            "search workers",
            SEED_SEARCH_WORKERS,
            p.fleet.workers["search-indexer"],
            "workers",
            "plan writes/s / documents/s per indexer",
            basis="chirp",
        ),
        _contradiction(
            "trending workers",
            SEED_TRENDING_WORKERS,
            0,
            "workers",
            "Worker Fleet lists 30 trending workers and no analytics; the diagram shows 30 "
            "analytics workers and no trending",
        ),
        _judged(
            "worker cost per month (the review's 280)",
            SEED_WORKER_COST,
            seed_cost,
            "USD",
            _near(SEED_WORKER_COST, seed_cost),
            f"{seed_count} x {a.classes.worker} at chirp's prices",
            basis="chirp",
        ),
    ]


def _databases_and_cost(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    replicas, nodes = p.fleet.rds_read_replicas, p.fleet.opensearch_data_nodes
    low, high = SEED_PG_REPLICAS
    priced = SEED_REDIS_COST + SEED_KAFKA_COST + SEED_WORKER_COST
    cheapest, dearest = SEED_DYNAMODB_COST[0] + priced, SEED_DYNAMODB_COST[1] + priced
    return [
        _judged(
            "PostgreSQL read replicas (upper)",
            high,
            replicas,
            "replicas",
            low <= replicas <= high,
            "feed-cache misses each load a followee list",
            basis="chirp",
        ),
        _equal(
            "search cluster nodes",
            SEED_SEARCH_NODES,
            nodes,
            "nodes",
            f"{a.search.retention_days:g} days of tweets, {a.search.replicas} replica, "
            f"{a.units.opensearch_node_storage_gb:,.0f} GB per node",
            basis="chirp",
        ),
        _judged(
            "total cost per month",
            SEED_TOTAL_COST,
            (cheapest + dearest) / 2,
            "USD",
            cheapest <= SEED_TOTAL_COST <= dearest,
            f"DynamoDB + Redis + Kafka + workers as the review prices them: "
            f"${cheapest:,}-${dearest:,}",
        ),
        _contradiction(
            "total cost covers the design",
            SEED_TOTAL_COST,
            p.monthly_cost["total"],
            "USD",
            "~$25K sums DynamoDB, Redis, Kafka and workers only; it leaves out the PostgreSQL "
            "primary and 10 replicas, the 5-node search cluster, the API gateways, the load "
            "balancer and the CDN the same design includes (derived: the full plan at "
            "chirp's prices)",
        ),
    ]


def _operations(a: Assumptions, p: CapacityPlan) -> list[SeedFigure]:
    reads_per_s = a.load.reads_per_user_day / 86_400
    ttl_hit = -math.expm1(-reads_per_s * a.caching.feed_ttl_s)
    return [
        _contradiction(
            "feed cache hit rate",
            SEED_FEED_HIT_L4,
            SEED_FEED_HIT_READ_PATH,
            "share",
            "the read path says 80% hits; the caching hierarchy and the SLO say 85%",
        ),
        _judged(
            "feed cache hit rate under its TTL",
            a.caching.feed_hit,
            ttl_hit,
            "share",
            ttl_hit >= a.caching.feed_hit,
            f"with a {a.caching.feed_ttl_s / 60:g}-minute TTL a feed survives only if read "
            f"again within it; at {a.load.reads_per_user_day:g} reads/day (Poisson) that is "
            f"{ttl_hit:.1%} of reads, not {a.caching.feed_hit:.0%}",
        ),
        _contradiction(
            "consumer lag alert",
            SEED_LAG_ALERT_QUEUE,
            SEED_LAG_ALERT_WORKERS,
            "messages",
            "write-path metrics alert at 10,000 messages; queue-depth metrics alert at 5,000 "
            "(critical 50,000)",
        ),
        _judged(
            "read share of requests",
            SEED_READ_SHARE,
            p.load.read_share,
            "share",
            round(p.load.read_share, 1) == SEED_READ_SHARE,
            "reads / (reads + writes), the review's 90:10",
        ),
    ]


def _equal(
    figure: str, seed: float, derived: float, unit: str, why: str, basis: Basis = "seed"
) -> SeedFigure:
    """A figure that should equal what its formula gives, to the review's rounding."""
    return _judged(figure, seed, derived, unit, _same(seed, derived), why, basis)


def _contradiction(figure: str, one: float, other: float, unit: str, why: str) -> SeedFigure:
    """Two places in the review that print different figures for one thing."""
    return _judged(figure, one, other, unit, False, why)


def _judged(
    figure: str,
    seed: float,
    derived: float,
    unit: str,
    ok: bool,
    why: str,
    basis: Basis = "seed",
) -> SeedFigure:
    return SeedFigure(
        figure=figure, seed=seed, derived=derived, unit=unit, basis=basis, ok=ok, why=why
    )


def _same(seed: float, derived: float) -> bool:
    """Equal, or equal once rounded or truncated to whole units as the review prints them."""
    return math.isclose(seed, derived, rel_tol=1e-9) or seed in (
        round(derived),
        math.floor(derived),
    )


def _to_one_figure(x: float) -> float:
    magnitude = 10 ** math.floor(math.log10(x)) if x > 0 else 1
    return round(x / magnitude) * magnitude


def _near(seed: float, derived: float) -> bool:
    return abs(derived - seed) <= COST_TOLERANCE * seed


_SECTIONS: list[Callable[[Assumptions, CapacityPlan], list[SeedFigure]]] = [
    _load,
    _storage,
    _dynamodb,
    _redis,
    _kafka,
    _workers,
    _databases_and_cost,
    _operations,
]
