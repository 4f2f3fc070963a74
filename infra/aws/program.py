"""The Pulumi program: chirp's whole AWS deployment as one component.

`build_program(sizing, settings)` returns the inline program the Automation
API runs (`infra.aws.automation`) and the unit tests run under mocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws import cache, kafka, postgres, search
from infra.aws.alarms import Alarms, AlarmsArgs
from infra.aws.cache import Cache, CacheArgs
from infra.aws.edge import Edge, EdgeArgs
from infra.aws.kafka import Kafka, KafkaArgs
from infra.aws.network import Network, NetworkArgs
from infra.aws.postgres import Postgres, PostgresArgs
from infra.aws.roles import GATEWAY_PORT
from infra.aws.scaling import Autoscaling, AutoscalingArgs
from infra.aws.search import Search, SearchArgs
from infra.aws.services import Services, ServicesArgs
from infra.aws.sizing import AwsSizing
from infra.aws.tables import Tables, TablesArgs
from infra.compose.env import settings_env
from stack.settings import Settings

DATA_PORTS = (kafka.PLAINTEXT_PORT, cache.PORT, postgres.PORT, search.PORT)


@dataclass
class ChirpAwsArgs:
    """The sizes to deploy and the settings every task runs with."""

    sizing: AwsSizing
    settings: Settings


class ChirpAws(pulumi.ComponentResource):
    """Network, data services, ECS services, autoscaling and alarms of one chirp stack."""

    outputs: dict[str, pulumi.Input[object]]

    def __init__(
        self, name: str, args: ChirpAwsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Stack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing, settings = args.sizing, args.settings

        network = Network(
            f"{name}-net",
            NetworkArgs(
                region=sizing.region,
                zones=sizing.availability_zones,
                app_port=GATEWAY_PORT,
                data_ports=DATA_PORTS,
            ),
            child,
        )
        private = network.private_subnet_ids
        data_group = network.data_security_group_id
        events = Kafka(
            f"{name}-kafka",
            KafkaArgs(sizing.kafka, sizing.kafka_brokers, private, data_group),
            child,
        )
        redis = Cache(f"{name}-cache", CacheArgs(sizing.redis, private, data_group), child)
        tables = Tables(f"{name}-tables", TablesArgs(sizing.dynamodb), child)
        database = Postgres(
            f"{name}-postgres",
            PostgresArgs(
                sizing.postgres,
                db_name=settings.postgres_db,
                username=settings.postgres_user,
                subnet_ids=private,
                zone_names=network.zone_names,
                security_group_id=data_group,
            ),
            child,
        )
        opensearch = Search(
            f"{name}-search",
            SearchArgs(sizing.opensearch, sizing.availability_zones, private, data_group),
            child,
        )
        services = Services(
            f"{name}-app",
            ServicesArgs(
                sizing=sizing,
                environment=app_environment(
                    settings,
                    sizing,
                    kafka_bootstrap=events.bootstrap_brokers,
                    redis_endpoint=redis.primary_endpoint,
                    postgres_address=database.address,
                    postgres_replica_addresses=database.replica_addresses,
                    opensearch_endpoint=opensearch.endpoint,
                ),
                secrets={
                    "PGPASSWORD": pulumi.Output.concat(database.master_secret_arn, ":password::")
                },
                secret_arns=[database.master_secret_arn],
                table_arns=[tables.tweets_arn, tables.engagements_arn, tables.media_arn],
                vpc_id=network.vpc_id,
                public_subnet_ids=network.public_subnet_ids,
                private_subnet_ids=private,
                alb_security_group_id=network.alb_security_group_id,
                app_security_group_id=network.app_security_group_id,
            ),
            child,
        )
        Autoscaling(
            f"{name}-scaling",
            AutoscalingArgs(sizing, services.cluster_name, services.services, events.cluster_name),
            child,
        )
        alarms = Alarms(
            f"{name}-alarms",
            AlarmsArgs(
                thresholds=sizing.alarms,
                load_balancer_arn_suffix=services.load_balancer_arn_suffix,
                target_group_arn_suffixes=services.target_group_arn_suffixes,
                kafka_cluster_name=events.cluster_name,
                alert_email=sizing.alert_email,
            ),
            child,
        )
        edge = Edge(f"{name}-edge", EdgeArgs(api_url=services.api_url), child)
        self.outputs = {
            "api_url": services.api_url,
            "edge_url": edge.edge_url,
            "edge_distribution_id": edge.distribution_id,
            "media_bucket": edge.bucket_name,
            "ecs_cluster": services.cluster_name,
            "bootstrap_task_definition": services.bootstrap_task_definition_arn,
            "private_subnet_ids": private,
            "app_security_group_id": network.app_security_group_id,
            "kafka_bootstrap_brokers": events.bootstrap_brokers,
            "redis_endpoint": redis.primary_endpoint,
            "redis_reader_endpoint": redis.reader_endpoint,
            "postgres_address": database.address,
            "postgres_replica_addresses": database.replica_addresses,
            "opensearch_endpoint": opensearch.endpoint,
            "alarm_topic_arn": alarms.topic_arn,
        }
        if services.image_repository_url is not None:
            self.outputs["image_repository"] = services.image_repository_url
        self.register_outputs(self.outputs)


def app_environment(
    settings: Settings,
    sizing: AwsSizing,
    *,
    kafka_bootstrap: pulumi.Input[str],
    redis_endpoint: pulumi.Input[str],
    postgres_address: pulumi.Input[str],
    opensearch_endpoint: pulumi.Input[str],
    postgres_replica_addresses: Sequence[pulumi.Input[str]] = (),
) -> dict[str, pulumi.Input[str]]:
    """The `CHIRP_*` variables of every task: the operator's settings, AWS addresses.

    The data tier is highly available the managed way: reads go to the RDS read
    replicas, and Redis's primary is ElastiCache's primary endpoint, which follows a
    failover, so the tasks run without Sentinel."""
    env: dict[str, pulumi.Input[str]] = dict(settings_env(settings))
    first_broker = pulumi.Output.from_input(kafka_bootstrap).apply(
        lambda brokers: (brokers or "").split(",")[0].rsplit(":", 1)[0]
    )
    env.update(
        {
            "CHIRP_HOST": "0.0.0.0",
            "CHIRP_RUN_DIR": "/var/lib/chirp",
            "CHIRP_KAFKA_HOST": first_broker,
            "CHIRP_KAFKA_PORT": str(kafka.PLAINTEXT_PORT),
            "CHIRP_KAFKA_PARTITIONS": str(sizing.kafka.partitions_per_topic),
            "CHIRP_REDIS_HOST": redis_endpoint,
            "CHIRP_REDIS_PORT": str(cache.PORT),
            "CHIRP_REDIS_SENTINEL": "false",
            "CHIRP_POSTGRES_HOST": postgres_address,
            "CHIRP_POSTGRES_PORT": str(postgres.PORT),
            # DynamoDB's regional endpoint; traffic takes the VPC's gateway endpoint.
            "CHIRP_DYNAMODB_HOST": f"dynamodb.{sizing.region}.amazonaws.com",
            "CHIRP_DYNAMODB_PORT": "80",
            "CHIRP_OPENSEARCH_HOST": opensearch_endpoint,
            "CHIRP_OPENSEARCH_PORT": str(search.PORT),
            "AWS_REGION": sizing.region,
            "AWS_DEFAULT_REGION": sizing.region,
        }
    )
    # The replica list is the whole truth. The count setting is the local provider's (at
    # most 4 local replicas): here it only says "none", so no replica address is guessed.
    env.pop("CHIRP_POSTGRES_REPLICAS", None)
    if postgres_replica_addresses:
        env["CHIRP_POSTGRES_REPLICA_HOSTS"] = pulumi.Output.all(*postgres_replica_addresses).apply(
            lambda hosts: ",".join(f"{host}:{postgres.PORT}" for host in hosts)
        )
    else:
        env["CHIRP_POSTGRES_REPLICAS"] = "0"
    return env


def build_program(sizing: AwsSizing, settings: Settings) -> Callable[[], None]:
    """The inline Pulumi program for this sizing; it exports the stack's endpoints."""

    def program() -> None:
        provider = aws.Provider(
            "aws",
            region=sizing.region,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={"project": "chirp", "stack": pulumi.get_stack()}
            ),
        )
        stack = ChirpAws(
            "chirp",
            ChirpAwsArgs(sizing, settings),
            pulumi.ResourceOptions(providers=[provider]),
        )
        for key, value in stack.outputs.items():
            pulumi.export(key, value)

    return program
