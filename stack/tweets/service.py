"""The tweet use cases: post, edit, delete, like, retweet. Routes stay thin over these."""

from __future__ import annotations

import time

from chirp.stack import edge, tracing
from chirp.stack import text as text_rules
from chirp.stack.gateway import ratelimit
from chirp.stack.gateway.errors import ApiError, forbidden, not_found
from chirp.stack.media import service as media
from chirp.stack.relay.wakeup import nudge
from chirp.stack.resources import Resources
from chirp.stack.schema import tables
from chirp.stack.tweets import backpressure, cache, store
from chirp.stack.tweets.model import Tweet
from chirp.stack.tweets.schemas import TweetCreate

_DYNAMODB = {"db.system": "dynamodb"}
_ENGAGEMENT_WRITES = (tables.TWEETS, tables.ENGAGEMENTS)
"""An engagement's item and the tweet's counter move in one transaction."""


def post_tweet(
    res: Resources, author_id: int, body: TweetCreate, idempotency_key: str | None
) -> Tweet:
    """Validate, rate limit, refuse under backpressure, then store: the stream relay
    publishes `tweet_created` from what DynamoDB acknowledged."""
    clean = _valid_text(body.text)
    ratelimit.check(res.redis, "tweets", author_id, res.settings.tweets_per_hour)
    backpressure.check(res.redis, res.settings.backpressure_lag)
    reply_to = int(body.reply_to) if body.reply_to else None
    if reply_to is not None and store.get_tweet(res.dynamo, reply_to) is None:
        raise not_found("Replied-to tweet")
    tweet_id = res.ids.next_id()
    media_ids = [int(m) for m in body.media_ids]
    media_urls = media.claim_for_post(res, author_id, media_ids, tweet_id, idempotency_key)
    tweet = Tweet(
        tweet_id=tweet_id,
        user_id=author_id,
        text=clean,
        created_at_ms=_now_ms(),
        hashtags=text_rules.hashtags(clean, res.settings.max_hashtags),
        mentions=text_rules.mentions(clean, res.settings.max_mentions),
        media_urls=media_urls,
        reply_to=reply_to,
    )
    key = f"{author_id}:{idempotency_key}" if idempotency_key else None
    tracing.tag_tweet(tweet.tweet_id)
    try:
        with tracing.span("dynamodb.put_tweet", "store", tweet.tweet_id, _DYNAMODB):
            store.put_tweet(res.dynamo, tweet, key, tracing.current_carrier())
    except store.IdempotentReplay as replay:
        earlier = store.get_tweet(res.dynamo, replay.tweet_id)
        media.settle_replay(res, author_id, media_ids, replay.tweet_id, idempotency_key)
        if earlier is None:
            raise ApiError(409, "conflict", "that idempotency key's tweet was deleted") from replay
        return earlier
    except Exception:
        media.detach(res, media_ids, tweet_id)
        raise
    nudge(res.redis, tables.TWEETS)
    return tweet


def find(res: Resources, tweet_id: int) -> Tweet:
    tweet = store.get_tweet(res.dynamo, tweet_id)
    if tweet is None:
        raise not_found("Tweet")
    return tweet


def edit_tweet(res: Resources, caller: int, tweet_id: int, new_text: str) -> Tweet:
    """Replace the text of the caller's own tweet. A retweet has no text of its own: editing
    one would post unlimited text (past `tweets_per_hour`) and mentions under it."""
    tweet = _own(res, caller, tweet_id, "edit")
    if tweet.retweet_of is not None:
        raise ApiError(409, "conflict", "a retweet has no text to edit; delete it instead")
    clean = _valid_text(new_text)
    edited = store.edit_tweet(
        res.dynamo,
        tweet,
        clean,
        text_rules.hashtags(clean, res.settings.max_hashtags),
        text_rules.mentions(clean, res.settings.max_mentions),
        _now_ms(),
    )
    if edited is None:
        raise not_found("Tweet")
    nudge(res.redis, tables.TWEETS)
    cache.replace(res.redis, edited, res.settings.tweet_cache_ttl_s)
    edge.purge_tweet(res.settings, tweet_id, caller)
    return edited


def delete_tweet(res: Resources, caller: int, tweet_id: int) -> None:
    tweet = _own(res, caller, tweet_id, "delete")
    if tweet.retweet_of is not None and tweet.original_author_id is not None:
        original = store.get_tweet(res.dynamo, tweet.retweet_of)
        if original is not None:
            try:
                store.unretweet(res.dynamo, original, caller)
            except store.AlreadyDone:
                store.delete_tweet(res.dynamo, tweet)
            nudge(res.redis, *_ENGAGEMENT_WRITES)
            cache.bury(res.redis, tweet_id, res.settings.tweet_cache_ttl_s)
            cache.forget(res.redis, original.tweet_id)
            edge.purge_tweet(res.settings, tweet_id, caller)
            return
    store.delete_tweet(res.dynamo, tweet)
    nudge(res.redis, tables.TWEETS)
    cache.bury(res.redis, tweet_id, res.settings.tweet_cache_ttl_s)
    media.delete_urls(res, tweet.media_urls)
    edge.purge_tweet(res.settings, tweet_id, caller)


def like(res: Resources, caller: int, tweet_id: int, liked: bool) -> Tweet:
    tweet = find(res, tweet_id)
    try:
        if liked:
            store.like(res.dynamo, tweet, caller, _now_ms())
        else:
            store.unlike(res.dynamo, tweet, caller)
    except store.AlreadyDone:
        pass  # liking twice, or unliking what was never liked, changes nothing
    nudge(res.redis, *_ENGAGEMENT_WRITES)
    cache.forget(res.redis, tweet_id)
    return find(res, tweet_id)


def retweet(res: Resources, caller: int, tweet_id: int, retweeted: bool) -> Tweet:
    original = find(res, tweet_id)
    if original.retweet_of is not None:
        raise ApiError(409, "conflict", "retweet the original tweet, not a retweet")
    try:
        if retweeted:
            made = _retweet_of(res, caller, original)
            tracing.tag_tweet(made.tweet_id)
            with tracing.span("dynamodb.retweet", "store", made.tweet_id, _DYNAMODB):
                store.retweet(res.dynamo, original, made, tracing.current_carrier())
        else:
            store.unretweet(res.dynamo, original, caller)
    except store.AlreadyDone:
        pass
    nudge(res.redis, *_ENGAGEMENT_WRITES)
    cache.forget(res.redis, tweet_id)
    return find(res, tweet_id)


def _retweet_of(res: Resources, caller: int, original: Tweet) -> Tweet:
    return Tweet(
        tweet_id=res.ids.next_id(),
        user_id=caller,
        text="",
        created_at_ms=_now_ms(),
        retweet_of=original.tweet_id,
        original_author_id=original.user_id,
        hashtags=[],
        mentions=[],
    )


def _own(res: Resources, caller: int, tweet_id: int, action: str) -> Tweet:
    tweet = find(res, tweet_id)
    if tweet.user_id != caller:
        raise forbidden(f"only the author may {action} a tweet")
    return tweet


def _valid_text(raw: str) -> str:
    try:
        return text_rules.normalise(raw)
    except text_rules.TextRejected as error:
        raise ApiError(422, "invalid", str(error)) from error


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
