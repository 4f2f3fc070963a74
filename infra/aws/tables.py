"""DynamoDB tables, keyed as DESIGN.md section 4 says.

`tweets`: partition key `user_id`, sort key `tweet_id`, both numbers. Tweet
ids are time-sortable 64-bit integers, so a numeric sort key keeps a user's
tweets in time order (a string key would sort "9" after "10"); user ids are
64-bit integers too, numbers for the same reason of one representation. GSI
`by_tweet_id` finds a tweet by id alone. A stream of new and old images
feeds the relay.

`engagements`: partition key `tweet_id` (number), sort key `actor`
(string, `like#<user_id>` or `retweet#<user_id>`), so a second like by the
same user is the same item and a conditional put makes it a no-op.

Both: on-demand capacity unless the sizing asks for provisioned, point-in-time
recovery, encrypted at rest. `idempotency_keys` expires its items by TTL. Keys,
indexes and streams come from `stack.schema.tables`, the specs the local stack
creates its tables from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.aws.sizing import DynamoDBSizing
from stack.schema.tables import (
    ENGAGEMENTS,
    IDEMPOTENCY,
    IDEMPOTENCY_EXPIRES_AT,
    MEDIA,
    TABLE_SPECS,
    TWEETS,
)


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
    """The `tweets` and `engagements` tables, and the idempotency keys."""

    tweets_arn: pulumi.Output[str]
    tweets_stream_arn: pulumi.Output[str]
    engagements_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: TablesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Tables", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing = args.sizing
        capacity: dict[str, int | None] = {
            "read_capacity": None if sizing.on_demand else sizing.read_capacity,
            "write_capacity": None if sizing.on_demand else sizing.write_capacity,
        }
        # No deletion protection: `chirp down --provider aws` must be able to remove
        # the tables. PITR keeps a restorable backup for 35 days after deletion.
        recovery = aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True)
        encryption = aws.dynamodb.TableServerSideEncryptionArgs(enabled=True)
        tweets, engagements = (
            aws.dynamodb.Table(
                f"{name}-{table}",
                name=table,
                **table_shape(TABLE_SPECS[table], capacity),
                billing_mode="PAY_PER_REQUEST" if sizing.on_demand else "PROVISIONED",
                **capacity,
                point_in_time_recovery=recovery,
                server_side_encryption=encryption,
                deletion_protection_enabled=False,
                opts=child,
            )
            for table in (TWEETS, ENGAGEMENTS)
        )
        aws.dynamodb.Table(
            f"{name}-idempotency",
            name=IDEMPOTENCY,
            **table_shape(TABLE_SPECS[IDEMPOTENCY], {}),
            billing_mode="PAY_PER_REQUEST",
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=IDEMPOTENCY_EXPIRES_AT, enabled=True),
            server_side_encryption=encryption,
            opts=child,
        )
        media = aws.dynamodb.Table(
            f"{name}-media",
            name=MEDIA,
            **table_shape(TABLE_SPECS[MEDIA], {}),
            billing_mode="PAY_PER_REQUEST",
            point_in_time_recovery=recovery,
            server_side_encryption=encryption,
            opts=child,
        )
        self.media_arn = media.arn
        self.tweets_arn = tweets.arn
        self.tweets_stream_arn = tweets.stream_arn
        self.engagements_arn = engagements.arn
        self.register_outputs(
            {"tweets_arn": self.tweets_arn, "engagements_arn": self.engagements_arn}
        )
