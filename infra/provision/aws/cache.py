"""ElastiCache Redis: feeds, tweet and profile caches, trending, rate limits.

chirp's Redis client talks to one primary (locally it finds it through Sentinel),
not to a Redis Cluster: its Lua scripts and multi-key commands need every key on
one server. So this is a replication group with cluster mode off: one primary and
`replicas_per_shard` replicas spread over the zones, with automatic failover.
Its primary endpoint is a DNS name that ElastiCache moves to the promoted replica,
which is what Sentinel does locally, so the tasks run with Sentinel off and reach
the primary by that name. The seed's sharded feed cluster does not fit a
one-primary client; `AwsSizing.adjustments()` says so when a plan asks for shards.

Clients speak TLS and authenticate with an AUTH token generated here and kept in
Secrets Manager (key `token`); tasks receive it as CHIRP_REDIS_AUTH_TOKEN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from chirp.infra.provision.aws.sizing import RedisSizing

PORT = 6379
TOKEN_KEY = "token"


@dataclass
class CacheArgs:
    """Node size and replicas, and where the nodes live."""

    sizing: RedisSizing
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]


class Cache(pulumi.ComponentResource):
    """A primary with replicas in other zones, automatic failover and Multi-AZ."""

    primary_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    auth_secret_arn: pulumi.Output[str]
    """The Secrets Manager secret holding the AUTH token under `TOKEN_KEY`."""

    def __init__(
        self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing = args.sizing
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets", subnet_ids=list(args.subnet_ids), opts=child
        )
        # ElastiCache refuses some punctuation in tokens; letters and digits are plenty.
        token = random.RandomPassword(f"{name}-auth-token", length=64, special=False, opts=child)
        secret = aws.secretsmanager.Secret(
            f"{name}-auth-token", description="chirp Redis AUTH token", opts=child
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-auth-token",
            secret_id=secret.id,
            secret_string=pulumi.Output.json_dumps({TOKEN_KEY: token.result}),
            opts=child,
        )
        major = sizing.engine_version.split(".")[0]
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description="chirp feeds, caches, trending and rate limits",
            engine="redis",
            engine_version=sizing.engine_version,
            node_type=sizing.node_type,
            port=PORT,
            cluster_mode="disabled",
            parameter_group_name=f"default.redis{major}",
            num_cache_clusters=1 + sizing.replicas_per_shard,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            subnet_group_name=subnets.name,
            security_group_ids=[args.security_group_id],
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            auth_token=token.result,
            # Feeds rebuild from DynamoDB; a day of snapshots covers a bad deploy.
            snapshot_retention_limit=1,
            opts=child,
        )
        self.primary_endpoint = group.primary_endpoint_address
        self.reader_endpoint = group.reader_endpoint_address
        self.auth_secret_arn = secret.arn
        self.register_outputs(
            {"primary_endpoint": self.primary_endpoint, "reader_endpoint": self.reader_endpoint}
        )
