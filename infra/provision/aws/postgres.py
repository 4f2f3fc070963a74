"""RDS PostgreSQL: users and follows, a Multi-AZ primary and its read replicas.

The master password is generated and kept by RDS in Secrets Manager
(`manage_master_user_password`); tasks receive it as PGPASSWORD, which libpq
reads, so the app's password-less DSN works unchanged. The server refuses
connections without TLS (`rds.force_ssl`), and tasks ask for TLS (PGSSLMODE).

Every instance has deletion protection and the primary leaves a final snapshot;
`chirp down --provider aws` lifts the protection (after its confirmation) before
it destroys the stack.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from chirp.infra.provision.aws.sizing import PostgresSizing

PORT = 5432


@dataclass
class PostgresArgs:
    """Sizes, database and user names (from chirp's settings), and placement."""

    sizing: PostgresSizing
    deletion_protection: bool
    db_name: str
    username: str
    subnet_ids: Sequence[pulumi.Input[str]]
    zone_names: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]


class Postgres(pulumi.ComponentResource):
    """A Multi-AZ primary and `read_replicas` replicas spread over the zones."""

    address: pulumi.Output[str]
    replica_addresses: list[pulumi.Output[str]]
    master_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing = args.sizing
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets", subnet_ids=list(args.subnet_ids), opts=child
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{sizing.engine_version.split('.')[0]}",
            parameters=[aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1")],
            opts=child,
        )
        # A stable suffix: each stack's final snapshot gets a name no other one has.
        suffix = random.RandomId(f"{name}-final-snapshot", byte_length=4, opts=child)
        primary = aws.rds.Instance(
            f"{name}-primary",
            engine="postgres",
            engine_version=sizing.engine_version,
            instance_class=sizing.instance_class,
            allocated_storage=sizing.storage_gb,
            max_allocated_storage=max(sizing.max_storage_gb, sizing.storage_gb),
            storage_type="gp3",
            storage_encrypted=True,
            multi_az=True,
            db_name=args.db_name,
            username=args.username,
            manage_master_user_password=True,
            port=PORT,
            db_subnet_group_name=subnets.name,
            parameter_group_name=parameters.name,
            vpc_security_group_ids=[args.security_group_id],
            publicly_accessible=False,
            backup_retention_period=7,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=pulumi.Output.concat(
                "chirp-", pulumi.get_stack(), "-final-", suffix.hex
            ),
            delete_automated_backups=False,
            performance_insights_enabled=True,
            copy_tags_to_snapshot=True,
            opts=child,
        )
        self.replica_addresses = []
        for index in range(sizing.read_replicas):
            replica = aws.rds.Instance(
                f"{name}-replica-{index}",
                replicate_source_db=primary.identifier,
                instance_class=sizing.instance_class,
                storage_encrypted=True,
                availability_zone=pulumi.Output.from_input(args.zone_names).apply(
                    functools.partial(_spread, index)
                ),
                parameter_group_name=parameters.name,
                vpc_security_group_ids=[args.security_group_id],
                publicly_accessible=False,
                deletion_protection=args.deletion_protection,
                # RDS takes no final snapshot of a replica; the primary's covers the data.
                skip_final_snapshot=True,
                performance_insights_enabled=True,
                opts=child,
            )
            self.replica_addresses.append(replica.address)
        self.address = primary.address
        self.master_secret_arn = primary.master_user_secrets.apply(_first_secret_arn)
        self.register_outputs(
            {"address": self.address, "replica_addresses": self.replica_addresses}
        )


def _spread(index: int, zones: list[str]) -> str:
    """Replica `index`'s zone: round-robin over the zones."""
    return zones[index % len(zones)]


def _first_secret_arn(secrets: Sequence[aws.rds.outputs.InstanceMasterUserSecret]) -> str:
    return (secrets[0].secret_arn or "") if secrets else ""
