"""MSK: the Kafka cluster chirp's events flow through.

Topics are created by the app's bootstrap (`python -m chirp.stack.bootstrap`); the
broker configuration here makes whatever it creates follow the seed: 100
partitions, replication factor 3, 7 days of retention.

Clients connect over TLS only and authenticate with SASL/SCRAM-SHA-512 (the
installed librdkafka has `ssl` and `sasl_scram`): user `chirp`, its password
generated here and kept in a Secrets Manager secret MSK reads (its name starts
with `AmazonMSK_` and a customer-managed KMS key encrypts it, as MSK requires).
Tasks receive the password as CHIRP_KAFKA_SASL_PASSWORD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from chirp.infra.provision.aws.sizing import KafkaSizing

SCRAM_PORT = 9096
USERNAME = "chirp"
PASSWORD_KEY = "password"
SECURITY_PROTOCOL = "SASL_SSL"
SASL_MECHANISM = "SCRAM-SHA-512"


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
        # Only SCRAM-authenticated clients connect at all, and chirp's one user may do
        # everything; without this, SCRAM with no ACLs would refuse it everything.
        "allow.everyone.if.no.acl.found": "true",
    }
    return "".join(f"{key}={value}\n" for key, value in properties.items())


class Kafka(pulumi.ComponentResource):
    """An MSK cluster with chirp's broker configuration."""

    cluster_name: pulumi.Output[str]
    bootstrap_brokers: pulumi.Output[str]
    """The SASL/SCRAM (TLS) brokers, host:port,host:port."""
    credentials_secret_arn: pulumi.Output[str]
    """The SCRAM user's secret: `username` and `password`."""
    key_arn: pulumi.Output[str]
    """The KMS key of that secret; reading the secret needs kms:Decrypt on it."""

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
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True
                )
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(scram=True),
                unauthenticated=False,
            ),
            enhanced_monitoring="PER_TOPIC_PER_BROKER",
            opts=child,
        )
        secret, key = self._scram_user(name, cluster)
        self.cluster_name = cluster.cluster_name
        self.bootstrap_brokers = cluster.bootstrap_brokers_sasl_scram
        self.credentials_secret_arn = secret.arn
        self.key_arn = key.arn
        self.register_outputs(
            {"cluster_name": self.cluster_name, "bootstrap_brokers": self.bootstrap_brokers}
        )

    def _scram_user(
        self, name: str, cluster: aws.msk.Cluster
    ) -> tuple[aws.secretsmanager.Secret, aws.kms.Key]:
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-secrets",
            description="chirp Kafka SCRAM credentials",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            opts=child,
        )
        password = random.RandomPassword(f"{name}-scram", length=48, special=False, opts=child)
        secret = aws.secretsmanager.Secret(
            f"{name}-scram",
            name_prefix="AmazonMSK_chirp-",
            kms_key_id=key.arn,
            description="chirp's Kafka SASL/SCRAM user",
            opts=child,
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-scram",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps(
                {"username": USERNAME, PASSWORD_KEY: password.result}
            ),
            opts=child,
        )
        # MSK attaches this policy itself when associating; declaring it keeps state clean.
        aws.secretsmanager.SecretPolicy(
            f"{name}-scram",
            secret_arn=secret.arn,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AWSKafkaResourcePolicy",
                            "Effect": "Allow",
                            "Principal": {"Service": "kafka.amazonaws.com"},
                            "Action": "secretsmanager:getSecretValue",
                            "Resource": secret.arn,
                        }
                    ],
                }
            ),
            opts=child,
        )
        aws.msk.ScramSecretAssociation(
            f"{name}-scram",
            cluster_arn=cluster.arn,
            secret_arn_lists=[secret.arn],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[version]),
        )
        return secret, key
