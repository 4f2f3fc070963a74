"""MSK: the Kafka cluster chirp's events flow through.

Topics are created by the app's bootstrap (`python -m stack.bootstrap`); the
broker configuration here makes whatever it creates follow the seed: 100
partitions, replication factor 3, 7 days of retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.sizing import KafkaSizing

PLAINTEXT_PORT = 9092


@dataclass
class KafkaArgs:
    """Broker count (already a multiple of the zones), sizes, and where the brokers live."""

    sizing: KafkaSizing
    brokers: int
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]


def server_properties(sizing: KafkaSizing) -> str:
    """The broker defaults every chirp topic inherits."""
    properties = {
        "auto.create.topics.enable": "false",
        "num.partitions": sizing.partitions_per_topic,
        "default.replication.factor": sizing.replication_factor,
        # With acks=all, one broker may be down and writes still succeed.
        "min.insync.replicas": sizing.min_insync_replicas,
        "log.retention.hours": sizing.retention_hours,
        "offsets.topic.replication.factor": sizing.replication_factor,
        "transaction.state.log.replication.factor": sizing.replication_factor,
        "unclean.leader.election.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in properties.items())


class Kafka(pulumi.ComponentResource):
    """An MSK cluster with chirp's broker configuration."""

    cluster_name: pulumi.Output[str]
    bootstrap_brokers: pulumi.Output[str]

    def __init__(
        self, name: str, args: KafkaArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Kafka", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing = args.sizing
        configuration = aws.msk.Configuration(
            f"{name}-config",
            name=f"{name}-{pulumi.get_stack()}",
            kafka_versions=[sizing.version],
            server_properties=server_properties(sizing),
            opts=child,
        )
        cluster = aws.msk.Cluster(
            f"{name}-cluster",
            cluster_name=f"{name}-{pulumi.get_stack()}",
            kafka_version=sizing.version,
            number_of_broker_nodes=args.brokers,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                instance_type=sizing.instance_type,
                client_subnets=list(args.subnet_ids),
                security_groups=[args.security_group_id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=sizing.volume_gb
                    )
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=configuration.arn, revision=configuration.latest_revision
            ),
            # The app speaks plaintext on 9092 (as locally); brokers talk TLS among
            # themselves and clients are confined to the data security group.
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS_PLAINTEXT", in_cluster=True
                )
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(unauthenticated=True),
            enhanced_monitoring="PER_TOPIC_PER_BROKER",
            opts=child,
        )
        self.cluster_name = cluster.cluster_name
        self.bootstrap_brokers = cluster.bootstrap_brokers
        self.register_outputs(
            {"cluster_name": self.cluster_name, "bootstrap_brokers": self.bootstrap_brokers}
        )
