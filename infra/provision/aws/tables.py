"""DynamoDB tables, keyed as the local stack's table specs say.

`tweets`: partition key `user_id`, sort key `tweet_id`, both numbers. Tweet
ids are time-sortable 64-bit integers, so a numeric sort key keeps a user's
tweets in time order (a string key would sort "9" after "10"); user ids are
64-bit integers too, numbers for the same reason of one representation. GSI
`by_tweet_id` finds a tweet by id alone. A stream of new and old images
feeds the relay.

`engagements`: partition key `tweet_id` (number), sort key `actor`
(string, `like#<user_id>` or `retweet#<user_id>`), so a second like by the
same user is the same item and a conditional put makes it a no-op.

`tweets` and `engagements`: on-demand capacity unless the sizing asks for
provisioned. The others (`idempotency_keys`, whose items expire by TTL, and
`node_leases`) are on demand. Every table: point-in-time recovery, encrypted at
rest. Keys, indexes and streams come from `stack.schema.tables`, the specs the
local stack creates its tables from, so every local table exists here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from chirp.infra.provision.aws.sizing import DynamoDBSizing
from chirp.stack.schema.tables import (
    ENGAGEMENTS,
    IDEMPOTENCY,
    IDEMPOTENCY_EXPIRES_AT,
    MEDIA,
    TABLE_SPECS,
    TWEETS,
)

_SIZED = (TWEETS, ENGAGEMENTS)
"""The tables whose capacity the sizing sets; the rest are small and on demand."""
_TTL = {IDEMPOTENCY: IDEMPOTENCY_EXPIRES_AT}


@dataclass
class TablesArgs:
    """Capacity mode and, when provisioned, the capacity."""

    sizing: DynamoDBSizing


def table_shape(spec: dict[str, Any], capacity: dict[str, int | None]) -> dict[str, Any]:
    """Pulumi `Table` arguments for keys, attributes, indexes and stream of a boto3 table spec.

    The local stack creates its tables from the same specs, so both have one shape.
    """
    keys = {key["KeyType"]: key["AttributeName"] for key in spec["KeySchema"]}
    stream = spec.get("StreamSpecification", {})
    indexes = [
        aws.dynamodb.TableGlobalSecondaryIndexArgs(
            name=index["IndexName"],
            key_schemas=[
                aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                    attribute_name=key["AttributeName"], key_type=key["KeyType"]
                )
                for key in index["KeySchema"]
            ],
            projection_type=index["Projection"]["ProjectionType"],
            **capacity,
        )
        for index in spec.get("GlobalSecondaryIndexes", [])
    ]
    return {
        "hash_key": keys["HASH"],
        "range_key": keys.get("RANGE"),
        "attributes": [
            aws.dynamodb.TableAttributeArgs(name=a["AttributeName"], type=a["AttributeType"])
            for a in spec["AttributeDefinitions"]
        ],
        "global_secondary_indexes": indexes or None,
        "stream_enabled": stream.get("StreamEnabled"),
        "stream_view_type": stream.get("StreamViewType"),
    }


class Tables(pulumi.ComponentResource):
    """Every table of `stack.schema.tables`, with point-in-time recovery."""

    arns: dict[str, pulumi.Output[str]]
    tweets_arn: pulumi.Output[str]
    tweets_stream_arn: pulumi.Output[str]
    engagements_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: TablesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Tables", name, None, opts)
        sizing = args.sizing
        capacity: dict[str, int | None] = {
            "read_capacity": None if sizing.on_demand else sizing.read_capacity,
            "write_capacity": None if sizing.on_demand else sizing.write_capacity,
        }
        tables = {
            table: self._table(name, table, capacity if table in _SIZED else None)
            for table in TABLE_SPECS
        }
        self.arns = {table: created.arn for table, created in tables.items()}
        self.tweets_arn = tables[TWEETS].arn
        self.tweets_stream_arn = tables[TWEETS].stream_arn
        self.engagements_arn = tables[ENGAGEMENTS].arn
        self.media_arn = tables[MEDIA].arn
        self.register_outputs({"arns": self.arns})

    def _table(
        self, name: str, table: str, capacity: dict[str, int | None] | None
    ) -> aws.dynamodb.Table:
        provisioned = capacity is not None and capacity["read_capacity"] is not None
        expires = _TTL.get(table)
        sized = capacity or {}
        return aws.dynamodb.Table(
            # The idempotency table keeps the resource name it was first deployed with.
            f"{name}-{'idempotency' if table == IDEMPOTENCY else table.replace('_', '-')}",
            name=table,
            **table_shape(TABLE_SPECS[table], sized),
            billing_mode="PROVISIONED" if provisioned else "PAY_PER_REQUEST",
            read_capacity=sized.get("read_capacity"),
            write_capacity=sized.get("write_capacity"),
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=expires, enabled=True)
            if expires
            else None,
            # No deletion protection: `chirp down --provider aws` must be able to remove
            # the tables. PITR keeps a restorable backup for 35 days after deletion.
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
