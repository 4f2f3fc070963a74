"""DynamoDB stream records → chirp events. Pure: no I/O, so it is unit tested alone."""

from __future__ import annotations

from typing import Any

from chirp.stack import events
from chirp.stack.schema import tables
from chirp.stack.tweets.model import SEEDED, Tweet, trace_carrier


def to_event(table: str, record: dict[str, Any], now_ms: int) -> events.Event | None:
    """The event a stream record stands for, or None when it is not one (counter updates)."""
    change = record["eventName"]
    images = record.get("dynamodb", {})
    if table == tables.TWEETS:
        return _tweet_event(change, images.get("NewImage"), images.get("OldImage"), now_ms)
    if table == tables.ENGAGEMENTS and change == "INSERT":
        return _engagement_event(images["NewImage"])
    return None


def carrier_of(table: str, record: dict[str, Any]) -> dict[str, str]:
    """The trace context stored with a newly inserted tweet (empty for any other record:
    an edit or delete keeps the item's old context, which is not its own)."""
    if table != tables.TWEETS or record["eventName"] != "INSERT":
        return {}
    return trace_carrier(record.get("dynamodb", {}).get("NewImage") or {})


def created_event(tweet: Tweet) -> events.TweetCreated | events.RetweetCreated:
    """The event that announces a newly stored tweet or retweet."""
    if tweet.retweet_of is not None and tweet.original_author_id is not None:
        return events.RetweetCreated(
            at_ms=tweet.created_at_ms,
            tweet_id=tweet.tweet_id,
            user_id=tweet.user_id,
            retweet_of=tweet.retweet_of,
            original_author_id=tweet.original_author_id,
        )
    return events.TweetCreated(
        at_ms=tweet.created_at_ms,
        tweet_id=tweet.tweet_id,
        user_id=tweet.user_id,
        text=tweet.text,
        hashtags=tweet.hashtags,
        mentions=tweet.mentions,
        reply_to=tweet.reply_to,
        lang=tweet.lang,
    )


def _tweet_event(
    change: str, new: dict[str, Any] | None, old: dict[str, Any] | None, now_ms: int
) -> events.Event | None:
    if change == "INSERT" and new is not None:
        if SEEDED in new:
            return None  # bulk-loaded: the seeder already fanned it out and indexed it
        return created_event(Tweet.from_item(new))
    if change == "MODIFY" and new is not None and old is not None:
        before, after = Tweet.from_item(old), Tweet.from_item(new)
        if before.text == after.text:
            return None  # a like or retweet counter moved
        return events.TweetEdited(
            at_ms=after.edited_at_ms or now_ms,
            tweet_id=after.tweet_id,
            user_id=after.user_id,
            text=after.text,
            hashtags=after.hashtags,
            mentions=after.mentions,
            old_hashtags=before.hashtags,
        )
    if change == "REMOVE" and old is not None:
        gone = Tweet.from_item(old)
        return events.TweetDeleted(
            at_ms=now_ms,
            tweet_id=gone.tweet_id,
            user_id=gone.user_id,
            retweet_of=gone.retweet_of,
            hashtags=gone.hashtags,
            media_urls=gone.media_urls,
        )
    return None


def _engagement_event(item: dict[str, Any]) -> events.Event | None:
    kind, _, actor = item["actor"]["S"].partition("#")
    if kind != "like":
        return None  # a retweet is announced by the retweet tweet's own INSERT
    return events.LikeAdded(
        at_ms=int(item.get("at", {}).get("N", "0")),
        tweet_id=int(item["tweet_id"]["N"]),
        user_id=int(actor),
        author_id=int(item["author_id"]["N"]),
    )
