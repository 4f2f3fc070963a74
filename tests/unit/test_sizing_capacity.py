"""The capacity model: the seed's figures where they follow, its inconsistencies, properties."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from chirp.core.errors import ConfigError
from chirp.infra.sizing import (
    Assumptions,
    compare_with_seed,
    inconsistencies,
    load_assumptions,
    parse_report,
    plan_capacity,
    pulumi_sizes,
    write_pulumi_config,
)
from chirp.infra.sizing.capacity import GB, round_up_one_figure
from chirp.infra.sizing.followers import FollowerDistribution

SEED_TOML = Path(__file__).resolve().parents[2] / "scenarios" / "capacity" / "seed.toml"

EXPECTED_INCONSISTENCIES = {
    "reads/s peak",
    "storage per year",
    "DynamoDB write capacity",
    "DynamoDB read capacity",
    "feed cluster memory",
    "feed cache data",
    "feed length used for sizing",
    "feed cluster nodes",
    "fan-out throughput with 100 partitions",
    "trending workers",
    "total cost covers the design",
    "feed cache hit rate",
    "feed cache hit rate under its TTL",
    "consumer lag alert",
}


@pytest.fixture(scope="module")
def seed_plan():
    return plan_capacity(Assumptions())


def test_load_reproduces_the_seed_capacity_planning(seed_plan):
    load = seed_plan.load
    assert load.tweets_per_day == 500e6
    assert math.floor(load.writes_per_s.average) == 5_787
    assert math.floor(load.writes_per_s.peak) == 17_361
    assert load.writes_per_s.plan == 20_000
    assert load.reads_per_day == 5e9
    assert math.floor(load.reads_per_s.average) == 57_870
    assert load.reads_per_s.plan == 200_000


def test_storage_reproduces_the_seed_per_day_and_month(seed_plan):
    assert seed_plan.storage.per_day_bytes == 250 * GB
    assert seed_plan.storage.per_month_bytes == 7.5e12
    assert seed_plan.storage.per_year_bytes == 91.25e12  # the seed says 90: a 360-day year


def test_component_sizing_figures_that_follow_from_the_seed(seed_plan):
    assert seed_plan.dynamodb.table_wcu == 20_000
    assert seed_plan.fanout.workers == 200
    assert seed_plan.redis.tweet_cache.data_bytes == 20 * GB
    assert seed_plan.redis.feed.data_bytes == 80 * GB  # 100M x 800 B; the seed prints 8 GB


def test_the_seed_figures_that_do_not_follow_are_exactly_the_listed_ones(seed_plan):
    figures = compare_with_seed(Assumptions(), seed_plan)
    found = inconsistencies(figures)
    assert {f.figure for f in found} == EXPECTED_INCONSISTENCIES
    for f in found:
        assert f.basis == "seed"
        assert f.why
        assert f.seed != f.derived


def test_reproduced_figures_include_the_capacity_table(seed_plan):
    figures = {f.figure: f for f in compare_with_seed(Assumptions(), seed_plan)}
    for name in (
        "tweets per day",
        "writes/s average",
        "writes/s peak",
        "writes/s plan",
        "feed reads per day",
        "reads/s average",
        "reads/s plan",
        "storage per day",
        "storage per month",
        "bytes per feed",
        "tweet cache data",
        "Kafka cluster throughput",
        "fan-out capacity",
        "fan-out workers",
        "total cost per month",
    ):
        assert figures[name].ok, name


def test_read_peak_inconsistency_is_the_rounding_of_the_average(seed_plan):
    figures = {f.figure: f for f in compare_with_seed(Assumptions(), seed_plan)}
    peak = figures["reads/s peak"]
    assert peak.seed == 173_610
    assert peak.derived == pytest.approx(173_611.11, abs=0.01)
    assert "57,870" in peak.why


def test_partition_cap_halves_the_seed_fan_out_throughput(seed_plan):
    figures = {f.figure: f for f in compare_with_seed(Assumptions(), seed_plan)}
    assert figures["fan-out throughput with 100 partitions"].derived == 10_000
    assert seed_plan.kafka.partitions >= max(seed_plan.fleet.workers.values())


@pytest.mark.parametrize(
    ("x", "expected"),
    [(17_361.1, 20_000), (173_611.1, 200_000), (20_000, 20_000), (0.37, 0.4), (999, 1_000)],
)
def test_round_up_one_figure(x, expected):
    assert round_up_one_figure(x) == pytest.approx(expected)


def test_small_case_by_hand():
    a = Assumptions().with_overrides(
        {
            "load.dau": 1_000,
            "load.tweets_per_user_day": 8.64,
            "load.reads_per_user_day": 86.4,
            "load.peak_factor": 2,
        }
    )
    plan = plan_capacity(a)
    assert plan.load.writes_per_s.average == pytest.approx(0.1)
    assert plan.load.writes_per_s.peak == pytest.approx(0.2)
    assert plan.load.writes_per_s.plan == pytest.approx(0.2)
    assert plan.load.reads_per_s.plan == pytest.approx(2.0)
    assert plan.storage.per_day_bytes == pytest.approx(8_640 * 500)
    assert plan.fleet.gateways == 2  # never fewer than two behind the load balancer


def test_fan_out_per_tweet_from_the_follower_law():
    everyone = Assumptions().with_overrides(
        {
            "followers.active_share": 1.0,
            "followers.celebrity_min": 10**9,
            "followers.small_max": 10**9,
        }
    )
    assert plan_capacity(everyone).fanout.deliveries_per_tweet == pytest.approx(200, rel=1e-6)
    nobody_middle = Assumptions().with_overrides({"followers.active_share": 0.0})
    law = FollowerDistribution(2.2, 200, 1e8)
    expected = law.partial_mean(0, 1_000)
    assert plan_capacity(nobody_middle).fanout.deliveries_per_tweet == pytest.approx(expected)


def test_more_users_never_need_fewer_nodes():
    previous = None
    for dau in (1e5, 1e6, 1e7, 5e7, 1e8, 3e8, 1e9):
        fleet = plan_capacity(Assumptions().with_overrides({"load.dau": int(dau)})).fleet
        counts = (
            fleet.gateways,
            sum(fleet.workers.values()),
            fleet.kafka_brokers,
            fleet.redis_nodes,
            fleet.rds_read_replicas,
            fleet.opensearch_data_nodes,
        )
        if previous:
            assert all(now >= before for now, before in zip(counts, previous, strict=True))
        previous = counts


def test_measured_deliveries_size_the_fan_out_fleet():
    measured = parse_report(
        {
            "fanout_capacity_per_s": 50_000,
            "fanout_worker_processes": 1,
            "feed_read_rps": 1_800,
            "post_rps": 600,
            "processes": {"gateway": 2},
        },
        "bench.json",
    )
    a = Assumptions().with_overrides(measured.overrides())
    plan = plan_capacity(a)
    assert plan.fanout.sized_by == "deliveries/s"
    assert plan.fanout.workers == math.ceil(plan.fanout.feed_writes_per_s / 50_000)
    assert a.units.gateway_feed_reads_per_s == 900
    assert a.units.gateway_posts_per_s == 300


def test_load_summary_endpoints_are_read():
    measured = parse_report(
        {
            "endpoints": [
                {"name": "/api/v1/feed", "method": "GET", "rps": 1200.0},
                {"name": "/api/v1/tweets", "method": "POST", "rps": 300.0},
                {"name": "/api/v1/tweets/{id}/like", "method": "POST", "rps": 50.0},
            ]
        },
        "summary.json",
    )
    assert measured.feed_reads_per_s == 1200
    assert measured.posts_per_s == 300


@pytest.mark.parametrize(
    "report",
    [{}, {"ceiling_rps": 5}, {"post_rps": -1}, {"feed_read_rps": "fast"}, {"endpoints": 3}],
)
def test_reports_without_usable_capacities_are_refused(report):
    with pytest.raises(ConfigError):
        parse_report(report, "r.json")


def test_seed_toml_is_the_defaults():
    assert load_assumptions(SEED_TOML) == Assumptions()


def test_bad_config_files_are_one_line_errors(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[load\ndau = 1")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[load]\ndaus = 5\n")
    negative = tmp_path / "negative.toml"
    negative.write_text("[load]\ndau = -5\n")
    for path in (broken, unknown, negative, tmp_path / "missing.toml"):
        with pytest.raises(ConfigError) as caught:
            load_assumptions(path)
        assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"load\.dau"):
        load_assumptions(negative)


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="unknown setting"):
        Assumptions().with_overrides({"load.daus": 1})


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_pulumi_config_round_trips(tmp_path, seed_plan, suffix):
    path = tmp_path / f"sizes{suffix}"
    write_pulumi_config(path, pulumi_sizes(Assumptions(), seed_plan))
    text = path.read_text()
    doc = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    assert doc["schema"] == "chirp.sizing/v1"
    assert set(doc["workers"]) == {"fanout", "search-indexer", "trending", "notify", "analytics"}
    assert doc["workers"]["fanout"]["count"] == 200
    assert doc["kafka"]["replication_factor"] == 3
    assert doc["kafka"]["retention_hours"] == 168
    assert all(w["count"] <= doc["kafka"]["partitions"] for w in doc["workers"].values())
    assert doc["redis"]["feed"]["replicas_per_shard"] == 1
    assert doc["rds"]["read_replicas"] >= 1 and doc["opensearch"]["data_nodes"] >= 1


def test_pulumi_config_needs_a_known_suffix(tmp_path, seed_plan):
    with pytest.raises(ConfigError, match=r"\.json"):
        write_pulumi_config(tmp_path / "sizes.txt", pulumi_sizes(Assumptions(), seed_plan))


def test_follower_law_bands_add_up_to_the_mean():
    law = FollowerDistribution(2.2, 200, 1e8)
    bands = law.partial_mean(0, 1e3) + law.partial_mean(1e3, 1e5) + law.partial_mean(1e5, 1e9)
    assert bands == pytest.approx(200, rel=1e-9)
    assert law.edges_share_above(1e3) > law.edges_share_above(1e5) > 0


def test_follower_law_refuses_impossible_means():
    with pytest.raises(ConfigError):
        FollowerDistribution(2.2, 100, 150)
