"""Every DynamoDB call about tweets and engagements; the only module that knows the tables.

Counters move in the same transaction as the engagement item that makes them
move, so a second like (or a retried one) is a failed condition, not a count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from chirp.stack.schema import tables
from chirp.stack.tweets.model import Tweet, item_key, trace_item

_BATCH_GET_MAX = 100


class AlreadyDone(Exception):
    """The engagement exists already (like twice) or does not (unlike twice)."""


class IdempotentReplay(Exception):
    """The idempotency key was used before; `tweet_id` is the tweet it made."""

    def __init__(self, tweet_id: int, user_id: int) -> None:
        super().__init__(tweet_id)
        self.tweet_id = tweet_id
        self.user_id = user_id


def put_tweet(
    dynamo: Any,
    tweet: Tweet,
    idempotency_key: str | None = None,
    trace: dict[str, str] | None = None,
) -> None:
    """Store a new tweet; with a key, at most one tweet is ever stored for that key.

    `trace` (a W3C carrier) is stored with the item, for the relay to hand on."""
    item = {**tweet.to_item(), **trace_item(trace or {})}
    if idempotency_key is None:
        dynamo.put_item(
            TableName=tables.TWEETS,
            Item=item,
            ConditionExpression="attribute_not_exists(tweet_id)",
        )
        return
    try:
        dynamo.transact_write_items(TransactItems=post_transaction(item, tweet, idempotency_key))
    except ClientError as error:
        if not _cancelled(error):
            raise
        earlier = dynamo.get_item(
            TableName=tables.IDEMPOTENCY,
            Key={"key": {"S": idempotency_key}},
            ConsistentRead=True,
        ).get("Item")
        if earlier is None:
            raise
        raise IdempotentReplay(
            int(earlier["tweet_id"]["N"]), int(earlier["user_id"]["N"])
        ) from error


def post_transaction(
    item: dict[str, Any],
    tweet: Tweet,
    idempotency_key: str,
    *,
    tweets_table: str = tables.TWEETS,
    idempotency_table: str = tables.IDEMPOTENCY,
) -> list[dict[str, Any]]:
    """The one write of a keyed post: the key and the tweet, each only if new.

    The table names are parameters so `chirp bench` can time this exact write on
    scratch tables of the same shape."""
    return [
        {
            "Put": {
                "TableName": idempotency_table,
                "Item": {
                    "key": {"S": idempotency_key},
                    "tweet_id": {"N": str(tweet.tweet_id)},
                    "user_id": {"N": str(tweet.user_id)},
                    tables.IDEMPOTENCY_EXPIRES_AT: {"N": str(_expiry(tweet))},
                },
                "ConditionExpression": "attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": "key"},
            }
        },
        {
            "Put": {
                "TableName": tweets_table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(tweet_id)",
            }
        },
    ]


def _expiry(tweet: Tweet) -> int:
    return tweet.created_at_ms // 1000 + tables.IDEMPOTENCY_KEEP_S


def get_tweet(dynamo: Any, tweet_id: int) -> Tweet | None:
    items = dynamo.query(
        TableName=tables.TWEETS,
        IndexName=tables.TWEETS_BY_ID,
        KeyConditionExpression="tweet_id = :t",
        ExpressionAttributeValues={":t": {"N": str(tweet_id)}},
        Limit=1,
    )["Items"]
    return Tweet.from_item(items[0]) if items else None


def get_tweets(dynamo: Any, keys: Iterable[tuple[int, int]]) -> dict[int, Tweet]:
    """Tweets by (author id, tweet id), with BatchGetItem; deleted ones are simply absent."""
    wanted = list(dict.fromkeys(keys))
    found: dict[int, Tweet] = {}
    for start in range(0, len(wanted), _BATCH_GET_MAX):
        request = {
            tables.TWEETS: {
                "Keys": [item_key(u, t) for u, t in wanted[start : start + _BATCH_GET_MAX]]
            }
        }
        while request:
            answer = dynamo.batch_get_item(RequestItems=request)
            for item in answer["Responses"].get(tables.TWEETS, []):
                tweet = Tweet.from_item(item)
                found[tweet.tweet_id] = tweet
            request = answer.get("UnprocessedKeys") or {}
    return found


_IDS_ONLY = "user_id, tweet_id, retweet_of, original_author_id"


def user_tweets(
    dynamo: Any,
    user_id: int,
    before_id: int | None,
    limit: int,
    consistent: bool = False,
    *,
    ids_only: bool = False,
) -> list[Tweet]:
    """The author's tweets, newest first, older than `before_id` when given. With
    `ids_only`, each carries only its ids and a retweet's original (for timelines)."""
    condition = "user_id = :u"
    values: dict[str, Any] = {":u": {"N": str(user_id)}}
    if before_id is not None:
        condition += " AND tweet_id < :b"
        values[":b"] = {"N": str(before_id)}
    projection = {"ProjectionExpression": _IDS_ONLY} if ids_only else {}
    items = dynamo.query(
        TableName=tables.TWEETS,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        ScanIndexForward=False,
        Limit=limit,
        ConsistentRead=consistent,
        **projection,
    )["Items"]
    return [Tweet.from_item(i) for i in items]


def delete_tweet(dynamo: Any, tweet: Tweet) -> bool:
    """Delete; False when it was already gone."""
    old = dynamo.delete_item(TableName=tables.TWEETS, Key=tweet.key, ReturnValues="ALL_OLD").get(
        "Attributes"
    )
    return old is not None


def edit_tweet(
    dynamo: Any,
    tweet: Tweet,
    text: str,
    hashtags: list[str],
    mentions: list[str],
    edited_at_ms: int,
) -> Tweet | None:
    """Replace the text of a tweet that still exists; None when it is gone."""
    try:
        item = dynamo.update_item(
            TableName=tables.TWEETS,
            Key=tweet.key,
            UpdateExpression="SET #t = :t, hashtags = :h, mentions = :m, edited_at = :e",
            ConditionExpression="attribute_exists(tweet_id)",
            ExpressionAttributeNames={"#t": "text"},
            ExpressionAttributeValues={
                ":t": {"S": text},
                ":h": {"L": [{"S": h} for h in hashtags]},
                ":m": {"L": [{"S": m} for m in mentions]},
                ":e": {"N": str(edited_at_ms)},
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return Tweet.from_item(item)


def like(dynamo: Any, tweet: Tweet, user_id: int, at_ms: int) -> None:
    _engage(dynamo, tweet, f"like#{user_id}", "like_count", +1, {"at": {"N": str(at_ms)}})


def unlike(dynamo: Any, tweet: Tweet, user_id: int) -> None:
    _disengage(dynamo, tweet, f"like#{user_id}", "like_count")


def retweet(
    dynamo: Any, original: Tweet, retweet_: Tweet, trace: dict[str, str] | None = None
) -> None:
    """Store the retweet as the retweeter's tweet, once per user, and count it."""
    marker = {"retweet_id": {"N": str(retweet_.tweet_id)}, "at": {"N": str(retweet_.created_at_ms)}}
    put = {
        "Put": {
            "TableName": tables.TWEETS,
            "Item": {**retweet_.to_item(), **trace_item(trace or {})},
            "ConditionExpression": "attribute_not_exists(tweet_id)",
        }
    }
    _engage(dynamo, original, f"retweet#{retweet_.user_id}", "retweet_count", +1, marker, put)


def unretweet(dynamo: Any, original: Tweet, user_id: int) -> None:
    """Undo a retweet: the marker, the count and the retweeter's retweet tweet."""
    marker = dynamo.get_item(
        TableName=tables.ENGAGEMENTS,
        Key={"tweet_id": {"N": str(original.tweet_id)}, "actor": {"S": f"retweet#{user_id}"}},
        ConsistentRead=True,
    ).get("Item")
    if marker is None:
        raise AlreadyDone
    delete = {
        "Delete": {
            "TableName": tables.TWEETS,
            "Key": item_key(user_id, int(marker["retweet_id"]["N"])),
        }
    }
    _disengage(dynamo, original, f"retweet#{user_id}", "retweet_count", delete)


def _engage(
    dynamo: Any,
    tweet: Tweet,
    actor: str,
    counter: str,
    step: int,
    extra: dict[str, Any],
    *more: dict[str, Any],
) -> None:
    item = {
        "tweet_id": {"N": str(tweet.tweet_id)},
        "actor": {"S": actor},
        "author_id": {"N": str(tweet.user_id)},
        **extra,
    }
    put = {
        "Put": {
            "TableName": tables.ENGAGEMENTS,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(actor)",
        }
    }
    _transact(dynamo, [put, _count(tweet, counter, step), *more])


def _disengage(dynamo: Any, tweet: Tweet, actor: str, counter: str, *more: dict[str, Any]) -> None:
    delete = {
        "Delete": {
            "TableName": tables.ENGAGEMENTS,
            "Key": {"tweet_id": {"N": str(tweet.tweet_id)}, "actor": {"S": actor}},
            "ConditionExpression": "attribute_exists(actor)",
        }
    }
    _transact(dynamo, [delete, _count(tweet, counter, -1), *more])


def _count(tweet: Tweet, counter: str, step: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": tables.TWEETS,
            "Key": tweet.key,
            "UpdateExpression": "ADD #c :s",
            "ConditionExpression": "attribute_exists(tweet_id)",
            "ExpressionAttributeNames": {"#c": counter},
            "ExpressionAttributeValues": {":s": {"N": str(step)}},
        }
    }


def _transact(dynamo: Any, items: list[dict[str, Any]]) -> None:
    try:
        dynamo.transact_write_items(TransactItems=items)
    except ClientError as error:
        if _cancelled(error):
            raise AlreadyDone from error
        raise


def _cancelled(error: ClientError) -> bool:
    return error.response["Error"]["Code"] in (
        "TransactionCanceledException",
        "ConditionalCheckFailedException",
    )
