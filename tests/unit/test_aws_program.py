"""The AWS Pulumi program under `pulumi.runtime` mocks (tests/unit/pulumi_mocks.py): what
it deploys and how big. The rules every deployment must keep are in test_aws_policy.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings
from chirp.infra.provision.aws.sizing import AwsSizing, default_sizing_file, load_sizing
from chirp.infra.sizing import pulumi_config
from chirp.infra.sizing.assumptions import Assumptions
from chirp.infra.sizing.capacity import plan_capacity
from chirp.stack.schema.tables import IDEMPOTENCY_EXPIRES_AT, TABLE_SPECS
from tests.unit.pulumi_mocks import CERTIFICATE, ZONES, Deployed, container, deploy

CONSUMERS = ["fanout", "search-indexer", "trending", "notify", "analytics", "edge-purger"]
ROLES = ["gateway", "relay", *CONSUMERS]


@pytest.fixture(scope="module")
def default_stack() -> Deployed:
    return deploy(AwsSizing(region="eu-west-1", certificate_arn=CERTIFICATE))


# What `chirp simulate capacity --emit-pulumi-config` writes, plus three of chirp's own keys.
PLAN_FILE = {
    "schema": "chirp.sizing/v1",
    "generated_by": "chirp simulate capacity",
    "load": {"plan_writes_per_s": 2000.0, "plan_reads_per_s": 20000.0},
    "gateways": {"count": 12, "instance_class": "c5.xlarge"},
    "workers": {
        "fanout": {"count": 40, "instance_class": "c5.large"},
        "search-indexer": {"count": 9, "instance_class": "c5.large"},
    },
    "kafka": {
        "brokers": 6,
        "instance_class": "kafka.m5.large",
        "partitions": 48,
        "replication_factor": 3,
        "retention_hours": 72,
        "broker_disk_gb": 250,
    },
    "redis": {
        "feed": {"shards": 3, "replicas_per_shard": 2, "node_class": "cache.r6g.large"},
        "tweet_cache": {"shards": 1, "replicas_per_shard": 1, "node_class": "cache.r6g.large"},
    },
    "dynamodb": {"billing_mode": "PROVISIONED", "planned_wcu": 800, "planned_rcu": 5000},
    "rds": {"instance_class": "db.r6g.large", "read_replicas": 2},
    "opensearch": {"data_nodes": 3, "instance_class": "r6g.large", "volume_gb": 100},
    "region": "eu-west-1",
    "certificate_arn": CERTIFICATE,
    "alarms": {"write_p99_ms": 80, "lag_alert": 4000},
}


@pytest.fixture(scope="module")
def sized_stack(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    path = tmp_path_factory.mktemp("sizing") / "aws-sizing.json"
    path.write_text(json.dumps(PLAN_FILE))
    return deploy(load_sizing(path))


def _lag_alarms(stack: Deployed, worker: str) -> dict[float, dict[str, Any]]:
    alarms = [
        a
        for a in stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.get("metricName") == "SumOffsetLag"
        and a["dimensions"]["Consumer Group"] == worker
        and a.get("alarmActions") == a.get("okActions")
    ]
    return {a["threshold"]: a for a in alarms}


# --- the seed's components, with their key properties -------------------------------------


def test_components_are_grouped_as_component_resources(default_stack: Deployed) -> None:
    components = {t for t in default_stack.types() if t.startswith("chirp:aws:")}
    assert components == {
        "chirp:aws:Stack",
        "chirp:aws:Network",
        "chirp:aws:Kafka",
        "chirp:aws:Cache",
        "chirp:aws:Tables",
        "chirp:aws:Postgres",
        "chirp:aws:Search",
        "chirp:aws:Balancer",
        "chirp:aws:Services",
        "chirp:aws:TaskRoles",
        "chirp:aws:Autoscaling",
        "chirp:aws:Alarms",
        "chirp:aws:Edge",
    }


def test_vpc_spans_three_zones_with_a_nat_gateway_each(default_stack: Deployed) -> None:
    subnets = default_stack.of_type("aws:ec2/subnet:Subnet")
    public = [s for s in subnets if s.get("mapPublicIpOnLaunch")]
    private = [s for s in subnets if not s.get("mapPublicIpOnLaunch")]
    assert {s["availabilityZone"] for s in public} == set(ZONES[:3])
    assert {s["availabilityZone"] for s in private} == set(ZONES[:3])
    assert len(default_stack.of_type("aws:ec2/natGateway:NatGateway")) == 3
    endpoint = default_stack.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint["serviceName"] == "com.amazonaws.eu-west-1.dynamodb"


def test_tweets_table_has_its_keys_gsi_pitr_and_on_demand_capacity(
    default_stack: Deployed,
) -> None:
    tweets = default_stack.named("aws:dynamodb/table:Table", "chirp-tables-tweets")
    assert tweets["name"] == "tweets"
    assert (tweets["hashKey"], tweets["rangeKey"]) == ("user_id", "tweet_id")
    assert {a["name"]: a["type"] for a in tweets["attributes"]} == {
        "user_id": "N",
        "tweet_id": "N",
    }
    (index,) = tweets["globalSecondaryIndexes"]
    assert index["name"] == "by_tweet_id"
    assert index["keySchemas"] == [{"attributeName": "tweet_id", "keyType": "HASH"}]
    assert index["projectionType"] == "ALL"
    assert tweets["billingMode"] == "PAY_PER_REQUEST"
    assert tweets["pointInTimeRecovery"]["enabled"] is True
    assert tweets["streamEnabled"] is True


def test_engagements_table_makes_a_second_like_the_same_item(default_stack: Deployed) -> None:
    table = default_stack.named("aws:dynamodb/table:Table", "chirp-tables-engagements")
    assert table["name"] == "engagements"
    assert (table["hashKey"], table["rangeKey"]) == ("tweet_id", "actor")
    assert table["pointInTimeRecovery"]["enabled"] is True
    assert table["billingMode"] == "PAY_PER_REQUEST"


def test_aws_tables_have_the_local_specs_keys_and_idempotency_keys_expire(
    default_stack: Deployed,
) -> None:
    for table, spec in TABLE_SPECS.items():
        (declared,) = [
            t for t in default_stack.of_type("aws:dynamodb/table:Table") if t["name"] == table
        ]
        keys = {k["KeyType"]: k["AttributeName"] for k in spec["KeySchema"]}
        assert (declared["hashKey"], declared.get("rangeKey")) == (keys["HASH"], keys.get("RANGE"))
        assert bool(declared.get("streamEnabled")) == ("StreamSpecification" in spec)
    idempotency = default_stack.named("aws:dynamodb/table:Table", "chirp-tables-idempotency")
    assert idempotency["ttl"] == {"attributeName": IDEMPOTENCY_EXPIRES_AT, "enabled": True}


def test_redis_is_a_primary_with_a_replica_and_automatic_failover(
    default_stack: Deployed,
) -> None:
    group = default_stack.one("aws:elasticache/replicationGroup:ReplicationGroup")
    # chirp's client talks to one primary: no cluster mode, so a primary endpoint.
    assert group["clusterMode"] == "disabled"
    assert group["parameterGroupName"] == "default.redis7"
    assert "numNodeGroups" not in group and "replicasPerNodeGroup" not in group
    assert group["numCacheClusters"] == 2
    assert group["automaticFailoverEnabled"] is True
    assert group["multiAzEnabled"] is True


def test_postgres_has_a_multi_az_primary_and_ten_read_replicas(default_stack: Deployed) -> None:
    instances = default_stack.of_type("aws:rds/instance:Instance")
    primary = default_stack.named("aws:rds/instance:Instance", "chirp-postgres-primary")
    replicas = [i for i in instances if i.get("replicateSourceDb")]
    assert primary["engine"] == "postgres"
    assert primary["multiAz"] is True
    assert primary["manageMasterUserPassword"] is True
    assert (primary["dbName"], primary["username"]) == ("chirp", "postgres")
    assert len(replicas) == 10
    assert {r["replicateSourceDb"] for r in replicas} == {"chirp-postgres-primary"}
    assert {r["availabilityZone"] for r in replicas} == set(ZONES[:3])


def test_msk_follows_the_seed_with_brokers_rounded_to_whole_zones(
    default_stack: Deployed,
) -> None:
    cluster = default_stack.one("aws:msk/cluster:Cluster")
    # The seed's 10 brokers cannot be spread evenly over 3 zones.
    assert cluster["numberOfBrokerNodes"] == 12
    assert cluster["brokerNodeGroupInfo"]["instanceType"] == "kafka.m5.2xlarge"
    assert len(cluster["brokerNodeGroupInfo"]["clientSubnets"]) == 3
    properties = default_stack.one("aws:msk/configuration:Configuration")["serverProperties"]
    assert "num.partitions=100\n" in properties
    assert "default.replication.factor=3\n" in properties
    assert "log.retention.hours=168\n" in properties
    assert "auto.create.topics.enable=false\n" in properties


def test_opensearch_domain_is_zone_aware_inside_the_vpc(default_stack: Deployed) -> None:
    domain = default_stack.one("aws:opensearch/domain:Domain")
    config = domain["clusterConfig"]
    assert config["instanceCount"] == 5
    assert config["zoneAwarenessEnabled"] is True
    assert config["zoneAwarenessConfig"]["availabilityZoneCount"] == 3
    assert config["dedicatedMasterCount"] == 3
    assert len(domain["vpcOptions"]["subnetIds"]) == 3
    assert domain["encryptAtRest"]["enabled"] is True


def test_every_role_runs_as_a_fargate_service_with_its_command(default_stack: Deployed) -> None:
    services = {s["name"]: s for s in default_stack.of_type("aws:ecs/service:Service")}
    assert set(services) == set(ROLES)
    assert all(s["launchType"] == "FARGATE" for s in services.values())
    assert container(default_stack, "gateway")["command"] == [
        "python",
        "-m",
        "chirp.stack.run",
        "gateway",
        "--port",
        "8101",
    ]
    # `stack.run` needs a port for every role: a worker's serves its metrics.
    for worker in ["relay", *CONSUMERS]:
        assert container(default_stack, worker)["command"] == [
            "python",
            "-m",
            "chirp.stack.run",
            worker,
            "--port",
            "9100",
        ]
    bootstrap = container(default_stack, "bootstrap")
    assert bootstrap["command"] == ["python", "-m", "chirp.stack.bootstrap"]


def test_tasks_reach_the_managed_services_by_their_endpoints(default_stack: Deployed) -> None:
    fanout = container(default_stack, "fanout")
    env = {item["name"]: item["value"] for item in fanout["environment"]}
    assert env["CHIRP_KAFKA_BROKERS"] == "b-1.msk:9096,b-2.msk:9096,b-3.msk:9096"
    assert env["CHIRP_KAFKA_PARTITIONS"] == "100"
    assert env["CHIRP_REDIS_HOST"] == "master.chirp.cache.example"
    assert env["CHIRP_POSTGRES_HOST"] == "chirp-postgres-primary.rds.example"
    assert env["CHIRP_POSTGRES_DB"] == "chirp"
    assert env["CHIRP_OPENSEARCH_HOST"] == "vpc-chirp.es.example"
    assert "CHIRP_RUN_DIR" in env and not env["CHIRP_RUN_DIR"].startswith(".")
    secrets = {item["name"]: item["valueFrom"] for item in fanout["secrets"]}
    assert secrets["PGPASSWORD"] == "arn:aws:secretsmanager:pg:password::"
    inside = Settings.model_validate(
        {k.removeprefix("CHIRP_").lower(): v for k, v in env.items() if k.startswith("CHIRP_")}
    )
    assert inside.kafka_bootstrap == env["CHIRP_KAFKA_BROKERS"]
    assert inside.opensearch_url == "https://vpc-chirp.es.example:443"
    assert inside.redis_url == "rediss://master.chirp.cache.example:6379/0"
    assert inside.aws_region == "eu-west-1"


def test_every_task_reads_from_the_replicas_and_follows_elasticache_failover(
    default_stack: Deployed,
) -> None:
    replicas = ",".join(f"chirp-postgres-replica-{i}.rds.example:5432" for i in range(10))
    for role in [*ROLES, "bootstrap"]:
        env = {
            item["name"]: item["value"] for item in container(default_stack, role)["environment"]
        }
        assert env["CHIRP_POSTGRES_REPLICA_HOSTS"] == replicas, role
        # The local provider's replica count (at most 4) must not cap RDS's ten.
        assert "CHIRP_POSTGRES_REPLICAS" not in env, role
        # The primary endpoint moves to the promoted replica: no Sentinel to ask.
        assert env["CHIRP_REDIS_SENTINEL"] == "false", role
        assert env["CHIRP_REDIS_HOST"] == "master.chirp.cache.example", role
        assert "CHIRP_SENTINEL_HOSTS" not in env, role
        inside = Settings.model_validate(
            {k.removeprefix("CHIRP_").lower(): v for k, v in env.items() if k.startswith("CHIRP_")}
        )
        assert inside.sentinel_addresses == []
        assert inside.postgres_replica_addresses == [
            (f"chirp-postgres-replica-{i}.rds.example", 5432) for i in range(10)
        ]


def test_without_read_replicas_the_tasks_read_from_the_primary() -> None:
    stack = deploy(
        AwsSizing(region="eu-west-1", certificate_arn=CERTIFICATE, postgres={"read_replicas": 0})
    )
    assert not [i for i in stack.of_type("aws:rds/instance:Instance") if i.get("replicateSourceDb")]
    env = {item["name"]: item["value"] for item in container(stack, "gateway")["environment"]}
    assert env["CHIRP_POSTGRES_REPLICAS"] == "0"
    assert "CHIRP_POSTGRES_REPLICA_HOSTS" not in env
    inside = Settings.model_validate(
        {k.removeprefix("CHIRP_").lower(): v for k, v in env.items() if k.startswith("CHIRP_")}
    )
    assert inside.postgres_replica_addresses == []


def test_gateways_sit_behind_the_alb_with_readyz_health_checks(default_stack: Deployed) -> None:
    groups = default_stack.of_type("aws:lb/targetGroup:TargetGroup")
    assert len(groups) == 3
    for group in groups:
        check = group["healthCheck"]
        assert (check["path"], check["matcher"]) == ("/readyz", "200")
        assert (check["healthyThreshold"], check["unhealthyThreshold"]) == (2, 2)
        assert group["port"] == 8101 and group["targetType"] == "ip"
    gateway = next(
        s for s in default_stack.of_type("aws:ecs/service:Service") if s["name"] == "gateway"
    )
    assert len(gateway["loadBalancers"]) == 3
    assert {lb["containerPort"] for lb in gateway["loadBalancers"]} == {8101}
    rules = default_stack.of_type("aws:lb/listenerRule:ListenerRule")
    conditions = [rule["conditions"][0] for rule in rules]
    assert {"httpRequestMethod": {"values": ["POST", "PUT", "PATCH", "DELETE"]}} in conditions
    assert {"pathPattern": {"values": ["/api/v1/feed*"]}} in conditions


def test_gateways_scale_on_cpu_and_consumers_on_lag(default_stack: Deployed) -> None:
    targets = {
        t["resourceId"].rsplit("/", 1)[1]: t
        for t in default_stack.of_type("aws:appautoscaling/target:Target")
    }
    # The relay consumes no topic, so lag cannot scale it.
    assert set(targets) == {"gateway", *CONSUMERS}
    assert (targets["gateway"]["minCapacity"], targets["gateway"]["maxCapacity"]) == (6, 300)
    # 200 fan-out workers on 100 partitions would leave 100 idle.
    assert targets["fanout"]["maxCapacity"] == 100
    assert targets["search-indexer"]["maxCapacity"] == 50
    policies = default_stack.of_type("aws:appautoscaling/policy:Policy")
    (cpu,) = [p for p in policies if p["policyType"] == "TargetTrackingScaling"]
    tracking = cpu["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 60
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == (
        "ECSServiceAverageCPUUtilization"
    )
    steps = [p for p in policies if p["policyType"] == "StepScaling"]
    assert len(steps) == 2 * len(CONSUMERS)
    scale_out = next(
        p["stepScalingPolicyConfiguration"]
        for p in steps
        if p["stepScalingPolicyConfiguration"]["stepAdjustments"][0]["scalingAdjustment"] > 0
    )
    assert scale_out["adjustmentType"] == "PercentChangeInCapacity"
    assert [s["scalingAdjustment"] for s in scale_out["stepAdjustments"]] == [50, 100]
    assert scale_out["stepAdjustments"][1]["metricIntervalLowerBound"] == "45000.0"


def test_lag_scaling_alarms_drive_the_step_policies(default_stack: Deployed) -> None:
    alarms = default_stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    high = next(a for a in alarms if a.get("alarmDescription", "").startswith("fanout: lag above"))
    low = next(a for a in alarms if a.get("alarmDescription", "").startswith("fanout: lag under"))
    assert high["threshold"] == 5000 and high["comparisonOperator"] == "GreaterThanThreshold"
    assert low["threshold"] == 1000 and low["comparisonOperator"] == "LessThanThreshold"
    assert "lag-out" in high["alarmActions"][0] and "lag-in" in low["alarmActions"][0]


def test_latency_alarms_use_p99_at_the_seed_thresholds(default_stack: Deployed) -> None:
    write = default_stack.named("aws:cloudwatch/metricAlarm:MetricAlarm", "chirp-alarms-write-p99")
    read = default_stack.named(
        "aws:cloudwatch/metricAlarm:MetricAlarm", "chirp-alarms-feed-read-p99"
    )
    for alarm in (write, read):
        assert alarm["metricName"] == "TargetResponseTime"
        assert alarm["extendedStatistic"] == "p99"
    assert write["threshold"] == pytest.approx(0.100)
    assert read["threshold"] == pytest.approx(0.050)
    assert write["dimensions"]["TargetGroup"] == "targetgroup/chirp-app-writes/1"
    assert read["dimensions"]["TargetGroup"] == "targetgroup/chirp-app-feed/1"


def test_error_rate_alarm_fires_above_a_tenth_of_a_percent(default_stack: Deployed) -> None:
    alarm = default_stack.named("aws:cloudwatch/metricAlarm:MetricAlarm", "chirp-alarms-error-rate")
    assert alarm["threshold"] == pytest.approx(0.1)
    (rate,) = [q for q in alarm["metricQueries"] if q.get("returnData")]
    assert "target5xx" in rate["expression"] and "/ requests" in rate["expression"]


def test_every_consumer_has_lag_alarms_at_1k_5k_and_50k(default_stack: Deployed) -> None:
    for worker in CONSUMERS:
        alarms = _lag_alarms(default_stack, worker)
        assert set(alarms) == {1000.0, 5000.0, 50000.0}
        # The edge purger's work arrives with deletes; the others' with new tweets.
        topic = "tweet_deleted" if worker == "edge-purger" else "tweet_created"
        for alarm in alarms.values():
            assert alarm["dimensions"]["Topic"] == topic
            assert alarm["dimensions"]["Cluster Name"] == "chirp-kafka-test"
    assert _lag_alarms(default_stack, "relay") == {}


# --- sizes follow the simulation's file ---------------------------------------------------


def test_data_service_sizes_follow_the_plan(sized_stack: Deployed) -> None:
    cluster = sized_stack.one("aws:msk/cluster:Cluster")
    assert cluster["numberOfBrokerNodes"] == 6
    assert cluster["brokerNodeGroupInfo"]["instanceType"] == "kafka.m5.large"
    assert cluster["brokerNodeGroupInfo"]["storageInfo"]["ebsStorageInfo"]["volumeSize"] == 250
    properties = sized_stack.one("aws:msk/configuration:Configuration")["serverProperties"]
    assert "num.partitions=48\n" in properties
    assert "log.retention.hours=72\n" in properties
    group = sized_stack.one("aws:elasticache/replicationGroup:ReplicationGroup")
    # The plan's feed and tweet-cache clusters become one primary with the most replicas.
    assert group["numCacheClusters"] == 3
    assert group["nodeType"] == "cache.r6g.large"
    replicas = [
        i for i in sized_stack.of_type("aws:rds/instance:Instance") if i.get("replicateSourceDb")
    ]
    assert len(replicas) == 2
    assert {r["instanceClass"] for r in replicas} == {"db.r6g.large"}
    domain = sized_stack.one("aws:opensearch/domain:Domain")
    assert domain["clusterConfig"]["instanceCount"] == 3
    assert domain["clusterConfig"]["instanceType"] == "r6g.large.search"
    assert domain["ebsOptions"]["volumeSize"] == 100


def test_provisioned_capacity_reaches_the_table_and_its_index(sized_stack: Deployed) -> None:
    tweets = sized_stack.named("aws:dynamodb/table:Table", "chirp-tables-tweets")
    assert tweets["billingMode"] == "PROVISIONED"
    assert (tweets["readCapacity"], tweets["writeCapacity"]) == (5000, 800)
    (index,) = tweets["globalSecondaryIndexes"]
    assert (index["readCapacity"], index["writeCapacity"]) == (5000, 800)


def test_fleet_counts_become_autoscaling_bounds_and_task_sizes(sized_stack: Deployed) -> None:
    targets = {
        t["resourceId"].rsplit("/", 1)[1]: t
        for t in sized_stack.of_type("aws:appautoscaling/target:Target")
    }
    # The plan's count is the peak; autoscaling starts from a third of it.
    assert (targets["gateway"]["minCapacity"], targets["gateway"]["maxCapacity"]) == (4, 12)
    assert (targets["fanout"]["minCapacity"], targets["fanout"]["maxCapacity"]) == (14, 40)
    assert (targets["search-indexer"]["minCapacity"], targets["search-indexer"]["maxCapacity"]) == (
        3,
        9,
    )
    # Workers the plan does not mention keep the defaults.
    assert targets["trending"]["maxCapacity"] == 30
    gateway_task = sized_stack.named("aws:ecs/taskDefinition:TaskDefinition", "chirp-app-gateway")
    assert (gateway_task["cpu"], gateway_task["memory"]) == ("4096", "8192")  # c5.xlarge
    fanout_task = sized_stack.named("aws:ecs/taskDefinition:TaskDefinition", "chirp-app-fanout")
    assert (fanout_task["cpu"], fanout_task["memory"]) == ("2048", "4096")  # c5.large


def test_thresholds_beside_the_plan_are_kept(sized_stack: Deployed) -> None:
    write = sized_stack.named("aws:cloudwatch/metricAlarm:MetricAlarm", "chirp-alarms-write-p99")
    assert write["threshold"] == pytest.approx(0.080)
    assert set(_lag_alarms(sized_stack, "fanout")) == {1000.0, 4000.0, 50000.0}
    endpoint = sized_stack.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint["serviceName"] == "com.amazonaws.eu-west-1.dynamodb"


def test_the_simulations_own_writer_is_understood(tmp_path: Path) -> None:
    assumptions = Assumptions()
    document = pulumi_config.pulumi_sizes(assumptions, plan_capacity(assumptions))
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"aws-sizing{suffix}"
        pulumi_config.write_pulumi_config(path, document)
        sizing = load_sizing(path)
        assert sizing.gateway.max_tasks == max(document["gateways"]["count"], 3)
        assert sizing.kafka.partitions_per_topic == document["kafka"]["partitions"]
        assert sizing.kafka.brokers == document["kafka"]["brokers"]
        assert sizing.postgres.read_replicas == document["rds"]["read_replicas"]
        assert sizing.opensearch.data_nodes == document["opensearch"]["data_nodes"]
        for name, entry in document["workers"].items():
            assert sizing.workers[name].max_tasks == entry["count"]


# --- reading the sizing file ----------------------------------------------------------------


def test_no_sizing_file_means_the_seed_defaults(tmp_path: Path) -> None:
    sizing = load_sizing(tmp_path / "absent.json")
    assert sizing == AwsSizing()
    assert (sizing.kafka.partitions_per_topic, sizing.kafka.replication_factor) == (100, 3)
    assert sizing.postgres.read_replicas == 10
    assert sizing.alarms.lag_critical == 50_000


def test_default_sizing_file_is_under_the_run_dir(tmp_path: Path) -> None:
    settings = Settings(run_dir=tmp_path / "run")
    assert default_sizing_file(settings) == tmp_path / "run" / "aws-sizing.json"


def test_a_partial_worker_entry_keeps_the_other_defaults() -> None:
    sizing = AwsSizing.model_validate({"workers": {"fanout": {"max_tasks": 150}}})
    assert sizing.workers["fanout"].max_tasks == 150
    assert sizing.workers["fanout"].min_tasks == 20
    assert sizing.workers["trending"] == AwsSizing().workers["trending"]


def test_yaml_sizing_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "aws-sizing.yaml"
    path.write_text("postgres:\n  read_replicas: 4\n")
    assert load_sizing(path).postgres.read_replicas == 4
    assert default_sizing_file(Settings(run_dir=tmp_path)) == path


def test_adjustments_explain_every_change_to_the_requested_sizes() -> None:
    notes = AwsSizing().adjustments()
    assert any("kafka.brokers 10 rounded up to 12" in note for note in notes)
    assert any("workers.fanout.max_tasks 200 capped at 100" in note for note in notes)
    assert any(
        "redis.shards 10 deployed as one primary with 1 replica(s)" in note for note in notes
    )
    assert not any("redis" in note for note in AwsSizing(redis={"shards": 1}).adjustments())


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"kafka": {"brokers": 3', "is not valid JSON"),
        ("[1, 2]", "must hold an object of sizes"),
        ('{"redis": {"shards": "many"}}', "redis.shards"),
        ('{"gateway": {"cpu": 1024, "memory_mb": 100}}', "Fargate does not pair cpu 1024"),
        ('{"workers": {"mailer": {}}}', "unknown worker mailer"),
        ('{"alarms": {"lag_alert": 100}}', "lag thresholds must rise"),
        ('{"redis": {"replicas_per_shard": 6}}', "redis.replicas_per_shard"),
        ('{"schema": "chirp.sizing/v9"}', "is not 'chirp.sizing/v1'"),
    ],
)
def test_a_malformed_sizing_file_is_one_clear_error(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "aws-sizing.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_sizing(path)
    message = str(caught.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


# --- the edge: media bucket and CloudFront -------------------------------------------------


def test_the_tasks_that_purge_are_told_the_distribution_and_its_address(
    default_stack: Deployed,
) -> None:
    # The mocks' id of the one distribution: the tasks get the id CloudFront gave it.
    distribution = next(
        r for r in default_stack.resources if r.typ == "aws:cloudfront/distribution:Distribution"
    )
    for role in ("gateway", "edge-purger"):
        env = {i["name"]: i["value"] for i in container(default_stack, role)["environment"]}
        assert env["CHIRP_EDGE_CLOUDFRONT_DISTRIBUTION_ID"] == f"{distribution.name}-id", role
        assert env["CHIRP_EDGE_URL"] == "https://d111.cloudfront.example", role
        assert env["CHIRP_OBJECTSTORE_BUCKET"] == "chirp-media", role
        inside = Settings.model_validate(
            {k.removeprefix("CHIRP_").lower(): v for k, v in env.items() if k.startswith("CHIRP_")}
        )
        assert inside.edge_cloudfront_distribution_id == "chirp-edge-cdn-id"
        assert inside.edge_base_url == "https://d111.cloudfront.example"
        # Media is put in Amazon S3 as the task role, not in a local object store.
        assert inside.objectstore_local is False
    purger = container(default_stack, "edge-purger")
    assert purger["command"] == ["python", "-m", "chirp.stack.run", "edge-purger", "--port", "9100"]


def test_cloudfront_fronts_the_alb_the_gateways_are_registered_with(
    default_stack: Deployed,
) -> None:
    # No cycle: the ALB comes first, CloudFront's API origin is its address, and the
    # gateway service registers with its target groups.
    cdn = default_stack.one("aws:cloudfront/distribution:Distribution")
    (api,) = [o for o in cdn["origins"] if o["originId"] == "api"]
    assert api["domainName"] == "chirp.elb.example"
    assert api["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    gateway = next(
        s for s in default_stack.of_type("aws:ecs/service:Service") if s["name"] == "gateway"
    )
    groups = {lb["targetGroupArn"].rsplit(":", 1)[1] for lb in gateway["loadBalancers"]}
    assert groups == {f"chirp-app-{kind}" for kind in ("writes", "feed", "other")}


def test_media_bucket_is_private_and_read_by_cloudfront_only(default_stack: Deployed) -> None:
    block = default_stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    access = default_stack.one("aws:cloudfront/originAccessControl:OriginAccessControl")
    assert (access["originAccessControlOriginType"], access["signingBehavior"]) == ("s3", "always")
    policy = json.loads(default_stack.one("aws:s3/bucketPolicy:BucketPolicy")["policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in statement["Condition"]["StringEquals"]


def test_cloudfront_serves_media_from_the_bucket_and_the_rest_from_the_alb(
    default_stack: Deployed,
) -> None:
    cdn = default_stack.one("aws:cloudfront/distribution:Distribution")
    origins = {o["originId"]: o for o in cdn["origins"]}
    assert set(origins) == {"media", "api"}
    assert origins["media"]["originAccessControlId"]
    (media,) = cdn["orderedCacheBehaviors"]
    assert (media["pathPattern"], media["targetOriginId"]) == ("/media/*", "media")
    assert media["allowedMethods"] == ["GET", "HEAD"]
    assert cdn["defaultCacheBehavior"]["targetOriginId"] == "api"
    api_policy = default_stack.one("aws:cloudfront/cachePolicy:CachePolicy")
    keyed = api_policy["parametersInCacheKeyAndForwardedToOrigin"]["headersConfig"]
    assert keyed["headers"]["items"] == ["Authorization"]  # never one user's answer to another
    assert api_policy["defaultTtl"] == 0  # only what Cache-Control allows
