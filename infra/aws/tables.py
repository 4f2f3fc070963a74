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
recovery, encrypted at rest. The names are the ones the app uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.aws.sizing import DynamoDBSizing

TWEETS_TABLE = "tweets"
ENGAGEMENTS_TABLE = "engagements"
BY_TWEET_ID_INDEX = "by_tweet_id"


@dataclass
class TablesArgs:
    """Capacity mode and, when provisioned, the capacity."""

    sizing: DynamoDBSizing


class Tables(pulumi.ComponentResource):
    """The `tweets` and `engagements` tables."""

    tweets_arn: pulumi.Output[str]
    tweets_stream_arn: pulumi.Output[str]
    engagements_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: TablesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chirp:aws:Tables", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sizing = args.sizing
        billing_mode = "PAY_PER_REQUEST" if sizing.on_demand else "PROVISIONED"
        read_capacity = None if sizing.on_demand else sizing.read_capacity
        write_capacity = None if sizing.on_demand else sizing.write_capacity
        # No deletion protection: `chirp down --provider aws` must be able to remove
        # the tables. PITR keeps a restorable backup for 35 days after deletion.
        recovery = aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True)
        encryption = aws.dynamodb.TableServerSideEncryptionArgs(enabled=True)
        tweets = aws.dynamodb.Table(
            f"{name}-tweets",
            name=TWEETS_TABLE,
            hash_key="user_id",
            range_key="tweet_id",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="user_id", type="N"),
                aws.dynamodb.TableAttributeArgs(name="tweet_id", type="N"),
            ],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=BY_TWEET_ID_INDEX,
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name="tweet_id", key_type="HASH"
                        )
                    ],
                    projection_type="ALL",
                    read_capacity=read_capacity,
                    write_capacity=write_capacity,
                )
            ],
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            billing_mode=billing_mode,
            read_capacity=read_capacity,
            write_capacity=write_capacity,
            point_in_time_recovery=recovery,
            server_side_encryption=encryption,
            deletion_protection_enabled=False,
            opts=child,
        )
        engagements = aws.dynamodb.Table(
            f"{name}-engagements",
            name=ENGAGEMENTS_TABLE,
            hash_key="tweet_id",
            range_key="actor",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="tweet_id", type="N"),
                aws.dynamodb.TableAttributeArgs(name="actor", type="S"),
            ],
            # The relay publishes likes from this stream, as it does tweets from the other.
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            billing_mode=billing_mode,
            read_capacity=read_capacity,
            write_capacity=write_capacity,
            point_in_time_recovery=recovery,
            server_side_encryption=encryption,
            deletion_protection_enabled=False,
            opts=child,
        )
        aws.dynamodb.Table(
            f"{name}-idempotency",
            name="idempotency_keys",
            hash_key="key",
            attributes=[aws.dynamodb.TableAttributeArgs(name="key", type="S")],
            billing_mode="PAY_PER_REQUEST",
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expires_at", enabled=True),
            server_side_encryption=encryption,
            opts=child,
        )
        self.tweets_arn = tweets.arn
        self.tweets_stream_arn = tweets.stream_arn
        self.engagements_arn = engagements.arn
        self.register_outputs(
            {"tweets_arn": self.tweets_arn, "engagements_arn": self.engagements_arn}
        )
