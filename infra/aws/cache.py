"""ElastiCache Redis in cluster mode: feeds, tweet and profile caches, trending, rate limits.

The seed draws three Redis clusters (feeds, tweets, trending); the app reaches
one Redis, so they are one sharded cluster here, sized like the seed's
largest (feeds) and its failure scenario: 10 primaries with a replica each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.sizing import RedisSizing

PORT = 6379


@dataclass
class CacheArgs:
    """Shard layout and node size, and where the nodes live."""

    sizing: RedisSizing
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]


class Cache(pulumi.ComponentResource):
    """A cluster-mode replication group with a replica per shard and automatic failover."""

    configuration_endpoint: pulumi.Output[str]

    def __init__(
        self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Cache", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing = args.sizing
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets", subnet_ids=list(args.subnet_ids), opts=child
        )
        major = sizing.engine_version.split(".")[0]
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            description="chirp feeds, caches, trending and rate limits",
            engine="redis",
            engine_version=sizing.engine_version,
            node_type=sizing.node_type,
            port=PORT,
            cluster_mode="enabled",
            parameter_group_name=f"default.redis{major}.cluster.on",
            num_node_groups=sizing.shards,
            replicas_per_node_group=sizing.replicas_per_shard,
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            subnet_group_name=subnets.name,
            security_group_ids=[args.security_group_id],
            at_rest_encryption_enabled=True,
            # The app's redis:// URL is plaintext; the data security group admits
            # only chirp's tasks inside the VPC.
            transit_encryption_enabled=False,
            # Feeds rebuild from DynamoDB; a day of snapshots covers a bad deploy.
            snapshot_retention_limit=1,
            opts=child,
        )
        self.configuration_endpoint = group.configuration_endpoint_address
        self.register_outputs({"configuration_endpoint": self.configuration_endpoint})
