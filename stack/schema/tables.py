"""DynamoDB tables of the stack and their idempotent creation."""

from __future__ import annotations

from typing import Any

TWEETS = "tweets"
TWEETS_BY_ID = "by_tweet_id"
ENGAGEMENTS = "engagements"
IDEMPOTENCY = "idempotency_keys"
# Idempotency keys expire a day after use; DynamoDB's TTL deletes items past this epoch second.
IDEMPOTENCY_EXPIRES_AT = "expires_at"
IDEMPOTENCY_KEEP_S = 24 * 3600
# Which process holds which node id of the tweet and user ids (see stack/node_lease.py).
NODE_LEASES = "node_leases"
MEDIA = "media"


def _key(*parts: tuple[str, str, str]) -> dict[str, Any]:
    """KeySchema and AttributeDefinitions from (name, type, HASH|RANGE) triples."""
    return {
        "KeySchema": [{"AttributeName": n, "KeyType": k} for n, _, k in parts],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t, _ in parts],
    }


# The relay publishes what these tables acknowledge, from their streams (see stack/relay).
STREAMED = (TWEETS, ENGAGEMENTS)
_STREAM = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}

TABLE_SPECS: dict[str, dict[str, Any]] = {
    # Tweets by author, newest last in SK order: tweet ids are time-sortable.
    TWEETS: {
        **_key(("user_id", "N", "HASH"), ("tweet_id", "N", "RANGE")),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": TWEETS_BY_ID,
                "KeySchema": [{"AttributeName": "tweet_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        **_STREAM,
    },
    # One item per (tweet, kind, user): a second like is a failed conditional put.
    ENGAGEMENTS: {**_key(("tweet_id", "N", "HASH"), ("actor", "S", "RANGE")), **_STREAM},
    IDEMPOTENCY: _key(
        ("key", "S", "HASH"),
    ),
    NODE_LEASES: _key(("node_id", "N", "HASH")),
    # Uploaded media: owner, object key, and the one tweet that uses it.
    MEDIA: _key(("media_id", "N", "HASH")),
}

DATA_TABLES = tuple(name for name in TABLE_SPECS if name != NODE_LEASES)
"""What the stack holds about users and tweets; node leases belong to the running processes."""


def create_tables(client: Any) -> list[str]:
    """Create every table that does not exist yet; returns the names created."""
    existing = set(client.list_tables()["TableNames"])
    created = []
    for name, spec in TABLE_SPECS.items():
        if name in existing:
            continue
        client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **spec)
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        created.append(name)
    return created
