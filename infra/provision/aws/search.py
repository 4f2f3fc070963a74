"""Amazon OpenSearch Service: the `tweets` and `users` indices (the seed's Elasticsearch).

The domain lives in the VPC, speaks HTTPS only, and admits requests signed (SigV4)
by the chirp task role and no one else: its access policy names that role, and the
role's own policy allows it the domain's HTTP API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from chirp.infra.provision.aws.iam import allow
from chirp.infra.provision.aws.sizing import OpenSearchSizing

PORT = 443


@dataclass
class SearchArgs:
    """Node counts and sizes, and the zones and subnets the domain spans."""

    sizing: OpenSearchSizing
    zones: int
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    task_role: aws.iam.Role
    """The only principal the domain admits."""


class Search(pulumi.ComponentResource):
    """A zone-aware domain inside the VPC with dedicated masters."""

    endpoint: pulumi.Output[str]

    def __init__(
        self, name: str, args: SearchArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Search", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing = args.sizing
        masters = sizing.master_nodes > 0
        domain = aws.opensearch.Domain(
            f"{name}-domain",
            # Domain names are 3-28 lowercase characters.
            domain_name=f"{name}-{pulumi.get_stack()}".lower()[:28],
            engine_version=sizing.engine_version,
            cluster_config=aws.opensearch.DomainClusterConfigArgs(
                instance_type=sizing.instance_type,
                instance_count=sizing.data_nodes,
                zone_awareness_enabled=True,
                zone_awareness_config=aws.opensearch.DomainClusterConfigZoneAwarenessConfigArgs(
                    availability_zone_count=args.zones
                ),
                dedicated_master_enabled=masters,
                dedicated_master_count=sizing.master_nodes if masters else None,
                dedicated_master_type=sizing.master_instance_type if masters else None,
            ),
            ebs_options=aws.opensearch.DomainEbsOptionsArgs(
                ebs_enabled=True, volume_size=sizing.volume_gb, volume_type="gp3"
            ),
            vpc_options=aws.opensearch.DomainVpcOptionsArgs(
                subnet_ids=list(args.subnet_ids)[: args.zones],
                security_group_ids=[args.security_group_id],
            ),
            encrypt_at_rest=aws.opensearch.DomainEncryptAtRestArgs(enabled=True),
            node_to_node_encryption=aws.opensearch.DomainNodeToNodeEncryptionArgs(enabled=True),
            domain_endpoint_options=aws.opensearch.DomainDomainEndpointOptionsArgs(
                enforce_https=True, tls_security_policy="Policy-Min-TLS-1-2-2019-07"
            ),
            opts=child,
        )
        aws.opensearch.DomainPolicy(
            f"{name}-policy",
            domain_name=domain.domain_name,
            access_policies=pulumi.Output.all(domain.arn, args.task_role.arn).apply(
                lambda values: _only_for(*values)
            ),
            opts=child,
        )
        allow(
            f"{name}-http",
            args.task_role,
            [(["es:ESHttp*"], [pulumi.Output.concat(domain.arn, "/*")])],
            self,
        )
        self.endpoint = domain.endpoint
        self.register_outputs({"endpoint": self.endpoint})


def _only_for(domain_arn: str, role_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": [role_arn]},
                    "Action": "es:ESHttp*",
                    "Resource": f"{domain_arn}/*",
                }
            ],
        }
    )
