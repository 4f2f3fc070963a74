"""The Pulumi program: chirp's whole AWS deployment as one component.

`build_program(sizing, settings)` returns the inline program the Automation
API runs (`chirp.infra.provision.aws.automation`) and the unit tests run under mocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chirp.core.settings import Settings
from chirp.infra.provision.aws import cache, kafka, postgres, search
from chirp.infra.provision.aws.alarms import Alarms, AlarmsArgs
from chirp.infra.provision.aws.balancer import Balancer, BalancerArgs
from chirp.infra.provision.aws.cache import Cache, CacheArgs
from chirp.infra.provision.aws.edge import Edge, EdgeArgs
from chirp.infra.provision.aws.iam import TaskRoles
from chirp.infra.provision.aws.kafka import Kafka, KafkaArgs
from chirp.infra.provision.aws.network import Network, NetworkArgs
from chirp.infra.provision.aws.postgres import Postgres, PostgresArgs
from chirp.infra.provision.aws.roles import GATEWAY_PORT, METRICS_PORT
from chirp.infra.provision.aws.scaling import Autoscaling, AutoscalingArgs
from chirp.infra.provision.aws.search import Search, SearchArgs
from chirp.infra.provision.aws.services import Services, ServicesArgs
from chirp.infra.provision.aws.sizing import AwsSizing
from chirp.infra.provision.aws.tables import Tables, TablesArgs
from chirp.infra.provision.compose.env import settings_env

DATA_PORTS = {
    "kafka": kafka.SCRAM_PORT,
    "redis": cache.PORT,
    "postgres": postgres.PORT,
    "search": search.PORT,
}
"""Each data service's security group and the one port the tasks reach it on."""

SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|ACCESS_KEY|CREDENTIAL", re.IGNORECASE)
"""Variables that must reach a task through Secrets Manager, never in its definition."""


@dataclass
class ChirpAwsArgs:
    """The sizes to deploy and the settings every task runs with."""

    sizing: AwsSizing
    settings: Settings


@dataclass
class Endpoints:
    """Where the tasks find the managed services."""

    kafka_brokers: pulumi.Input[str]
    redis: pulumi.Input[str]
    postgres: pulumi.Input[str]
    opensearch: pulumi.Input[str]
    edge: Edge
    postgres_replicas: Sequence[pulumi.Input[str]] = ()


class ChirpAws(pulumi.ComponentResource):
    """Network, data services, ECS services, autoscaling and alarms of one chirp stack."""

    outputs: dict[str, pulumi.Input[object]]

    def __init__(
        self, name: str, args: ChirpAwsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Stack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing, settings = args.sizing, args.settings
        sizing.require_public_tls()

        network = Network(
            f"{name}-net",
            NetworkArgs(
                region=sizing.region,
                zones=sizing.availability_zones,
                app_port=GATEWAY_PORT,
                metrics_port=METRICS_PORT,
                data_ports=DATA_PORTS,
                listener_ports=(443, 80) if sizing.certificate_arn else (80,),
            ),
            child,
        )
        private = network.private_subnet_ids
        groups = network.security_group_ids
        roles = TaskRoles(f"{name}-roles", child)
        events = Kafka(
            f"{name}-kafka",
            KafkaArgs(sizing.kafka, sizing.kafka_brokers, private, groups["kafka"]),
            child,
        )
        redis = Cache(f"{name}-cache", CacheArgs(sizing.redis, private, groups["redis"]), child)
        tables = Tables(f"{name}-tables", TablesArgs(sizing.dynamodb), child)
        database = Postgres(
            f"{name}-postgres",
            PostgresArgs(
                sizing.postgres,
                deletion_protection=sizing.deletion_protection,
                db_name=settings.postgres_db,
                username=settings.postgres_user,
                subnet_ids=private,
                zone_names=network.zone_names,
                security_group_id=groups["postgres"],
            ),
            child,
        )
        opensearch = Search(
            f"{name}-search",
            SearchArgs(
                sizing.opensearch, sizing.availability_zones, private, groups["search"], roles.task
            ),
            child,
        )
        secrets = {
            "PGPASSWORD": pulumi.Output.concat(database.master_secret_arn, ":password::"),
            "CHIRP_REDIS_AUTH_TOKEN": pulumi.Output.concat(
                redis.auth_secret_arn, f":{cache.TOKEN_KEY}::"
            ),
            "CHIRP_KAFKA_SASL_PASSWORD": pulumi.Output.concat(
                events.credentials_secret_arn, f":{kafka.PASSWORD_KEY}::"
            ),
        }
        # The ALB, then CloudFront in front of it, then the tasks told CloudFront's id: the
        # tasks purge the edge, and the edge's API origin is the ALB.
        balancer = Balancer(
            f"{name}-app",
            BalancerArgs(
                sizing=sizing,
                vpc_id=network.vpc_id,
                public_subnet_ids=network.public_subnet_ids,
                security_group_id=network.alb_security_group_id,
            ),
            child,
        )
        edge = Edge(f"{name}-edge", EdgeArgs(api_url=balancer.api_url), child)
        services = Services(
            f"{name}-app",
            ServicesArgs(
                sizing=sizing,
                environment=app_environment(
                    settings,
                    sizing,
                    Endpoints(
                        kafka_brokers=events.bootstrap_brokers,
                        redis=redis.primary_endpoint,
                        postgres=database.address,
                        opensearch=opensearch.endpoint,
                        edge=edge,
                        postgres_replicas=database.replica_addresses,
                    ),
                ),
                secrets=secrets,
                secret_arns=[
                    database.master_secret_arn,
                    redis.auth_secret_arn,
                    events.credentials_secret_arn,
                ],
                key_arns=[events.key_arn],
                table_arns=list(tables.arns.values()),
                distribution_arn=edge.distribution_arn,
                media_bucket_arn=edge.bucket_arn,
                roles=roles,
                target_groups=balancer.target_groups,
                private_subnet_ids=private,
                gateway_security_group_id=network.gateway_security_group_id,
                worker_security_group_id=network.worker_security_group_id,
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
                load_balancer_arn_suffix=balancer.load_balancer_arn_suffix,
                target_group_arn_suffixes=balancer.target_group_arn_suffixes,
                kafka_cluster_name=events.cluster_name,
                alert_email=sizing.alert_email,
            ),
            child,
        )
        self.outputs = {
            "api_url": balancer.api_url,
            "edge_url": edge.edge_url,
            "edge_distribution_id": edge.distribution_id,
            "media_bucket": edge.bucket_name,
            "ecs_cluster": services.cluster_name,
            "bootstrap_task_definition": services.bootstrap_task_definition_arn,
            "private_subnet_ids": private,
            # The bootstrap task runs with the workers' group: data services, no ingress.
            "app_security_group_id": network.worker_security_group_id,
            "monitoring_security_group_id": network.monitoring_security_group_id,
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
    settings: Settings, sizing: AwsSizing, endpoints: Endpoints
) -> dict[str, pulumi.Input[str]]:
    """The variables of every task: the operator's settings, AWS addresses and transports.

    No credentials: boto3 and the OpenSearch signer take the task role from the default
    chain, and every secret arrives through the task's `secrets`. The data tier is
    highly available the managed way: reads go to the RDS read replicas, and Redis's
    primary is ElastiCache's primary endpoint, which follows a failover, so the tasks
    run without Sentinel. Node ids are leased (no CHIRP_NODE_ID)."""
    env: dict[str, pulumi.Input[str]] = {
        name: value
        for name, value in settings_env(settings).items()
        if not SECRET_NAME.search(name)
    }
    env.update(
        {
            "CHIRP_HOST": "0.0.0.0",
            "CHIRP_RUN_DIR": "/var/lib/chirp",
            "CHIRP_METRICS_PORT": str(METRICS_PORT),
            "CHIRP_AWS_REGION": sizing.region,
            "AWS_REGION": sizing.region,
            "AWS_DEFAULT_REGION": sizing.region,
            "CHIRP_DYNAMODB_LOCAL": "false",
            "CHIRP_KAFKA_BROKERS": endpoints.kafka_brokers,
            "CHIRP_KAFKA_SECURITY_PROTOCOL": kafka.SECURITY_PROTOCOL,
            "CHIRP_KAFKA_SASL_MECHANISM": kafka.SASL_MECHANISM,
            "CHIRP_KAFKA_SASL_USERNAME": kafka.USERNAME,
            "CHIRP_KAFKA_PARTITIONS": str(sizing.kafka.partitions_per_topic),
            "CHIRP_REDIS_HOST": endpoints.redis,
            "CHIRP_REDIS_PORT": str(cache.PORT),
            "CHIRP_REDIS_SENTINEL": "false",
            "CHIRP_REDIS_TLS": "true",
            "CHIRP_POSTGRES_HOST": endpoints.postgres,
            "CHIRP_POSTGRES_PORT": str(postgres.PORT),
            "PGSSLMODE": "require",
            "CHIRP_OPENSEARCH_HOST": endpoints.opensearch,
            "CHIRP_OPENSEARCH_PORT": str(search.PORT),
            "CHIRP_OPENSEARCH_SCHEME": "https",
            "CHIRP_OPENSEARCH_AWS_SIGV4": "true",
            # Media goes to the S3 bucket as the task role; media URLs name CloudFront, and
            # a purge is an invalidation of its distribution.
            "CHIRP_OBJECTSTORE_LOCAL": "false",
            "CHIRP_OBJECTSTORE_BUCKET": endpoints.edge.bucket_name,
            "CHIRP_EDGE_URL": endpoints.edge.edge_url,
            "CHIRP_EDGE_CLOUDFRONT_DISTRIBUTION_ID": endpoints.edge.distribution_id,
        }
    )
    # The replica list is the whole truth. The count setting is the local provider's (at
    # most 4 local replicas): here it only says "none", so no replica address is guessed.
    env.pop("CHIRP_POSTGRES_REPLICAS", None)
    if endpoints.postgres_replicas:
        env["CHIRP_POSTGRES_REPLICA_HOSTS"] = pulumi.Output.all(*endpoints.postgres_replicas).apply(
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
