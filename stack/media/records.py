"""The `media` table: one item per upload, its owner, object key and the tweet using it.

A media item is claimed by one tweet with a conditional update, so two tweets can never
share it, and an item nobody claimed is found by the sweeper after a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chirp.stack.schema.tables import MEDIA


@dataclass(frozen=True)
class Media:
    media_id: int
    owner: int
    key: str
    content_type: str
    size: int
    created_at_ms: int
    tweet_id: int | None = None

    def item(self) -> dict[str, Any]:
        item = {
            "media_id": {"N": str(self.media_id)},
            "owner": {"N": str(self.owner)},
            "object_key": {"S": self.key},
            "content_type": {"S": self.content_type},
            "size": {"N": str(self.size)},
            "created_at_ms": {"N": str(self.created_at_ms)},
        }
        if self.tweet_id is not None:
            item["tweet_id"] = {"N": str(self.tweet_id)}
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Media:
        tweet = item.get("tweet_id")
        return cls(
            media_id=int(item["media_id"]["N"]),
            owner=int(item["owner"]["N"]),
            key=item["object_key"]["S"],
            content_type=item["content_type"]["S"],
            size=int(item["size"]["N"]),
            created_at_ms=int(item["created_at_ms"]["N"]),
            tweet_id=int(tweet["N"]) if tweet else None,
        )


def put(dynamo: Any, media: Media) -> None:
    dynamo.put_item(TableName=MEDIA, Item=media.item())


def get(dynamo: Any, media_id: int) -> Media | None:
    found = dynamo.get_item(TableName=MEDIA, Key=_key(media_id), ConsistentRead=True)
    return Media.from_item(found["Item"]) if "Item" in found else None


def claim(dynamo: Any, media_id: int, owner: int, tweet_id: int, claim_key: str) -> bool:
    """Point the media at `tweet_id` if `owner` uploaded it and no tweet uses it (or the
    same idempotency key claimed it before: a retried post); False otherwise."""
    try:
        dynamo.update_item(
            TableName=MEDIA,
            Key=_key(media_id),
            UpdateExpression="SET tweet_id = :t, claim_key = :k",
            ConditionExpression=("#o = :o AND (attribute_not_exists(tweet_id) OR claim_key = :k)"),
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={
                ":t": {"N": str(tweet_id)},
                ":o": {"N": str(owner)},
                ":k": {"S": claim_key},
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release(dynamo: Any, media_id: int, tweet_id: int) -> None:
    """Undo a claim by `tweet_id` (the post failed); nothing if another tweet holds it."""
    try:
        dynamo.update_item(
            TableName=MEDIA,
            Key=_key(media_id),
            UpdateExpression="REMOVE tweet_id, claim_key",
            ConditionExpression="tweet_id = :t",
            ExpressionAttributeValues={":t": {"N": str(tweet_id)}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def delete(dynamo: Any, media_id: int) -> None:
    dynamo.delete_item(TableName=MEDIA, Key=_key(media_id))


def unclaimed_before(dynamo: Any, created_before_ms: int) -> list[Media]:
    """Media no tweet ever claimed, uploaded before `created_before_ms`."""
    found: list[Media] = []
    pages = dynamo.get_paginator("scan").paginate(
        TableName=MEDIA,
        FilterExpression="attribute_not_exists(tweet_id) AND created_at_ms < :c",
        ExpressionAttributeValues={":c": {"N": str(created_before_ms)}},
    )
    for page in pages:
        found += [Media.from_item(item) for item in page.get("Items", [])]
    return found


def _key(media_id: int) -> dict[str, Any]:
    return {"media_id": {"N": str(media_id)}}
