"""Turn tweet keys into public tweets: the tweet cache first, BatchGetItem for misses,
retweets with their originals inside, authors from the profile cache."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from chirp.stack.resources import Resources
from chirp.stack.tweets import cache, store
from chirp.stack.tweets.model import Tweet
from chirp.stack.tweets.schemas import Author, TweetPublic
from chirp.stack.users import profiles
from chirp.stack.users.schemas import UserPublic

TweetKey = tuple[int, int]
"""(author id, tweet id): enough to fetch a tweet without the by-id index."""


def load(res: Resources, keys: Iterable[TweetKey], *, use_cache: bool = True) -> dict[int, Tweet]:
    """Stored tweets for `keys` by id; deleted ones are absent."""
    wanted = list(dict.fromkeys(keys))
    known = cache.get_many(res.redis, [t for _, t in wanted]) if use_cache else {}
    found = {t: tweet for t, tweet in known.items() if tweet is not None}
    missing = [(u, t) for u, t in wanted if t not in known]  # a tombstone is known: deleted
    if missing:
        loaded = store.get_tweets(res.dynamo, missing)
        found.update(loaded)
        if use_cache:
            cache.put_many(res.redis, list(loaded.values()), res.settings.tweet_cache_ttl_s)
    return found


def hydrate(
    res: Resources, keys: Iterable[TweetKey], *, use_cache: bool = True
) -> list[TweetPublic]:
    """Public tweets in the order of `keys`, skipping deleted ones and dead retweets."""
    ordered = list(dict.fromkeys(keys))
    tweets = load(res, ordered, use_cache=use_cache)
    original_keys = [
        (t.original_author_id, t.retweet_of)
        for t in tweets.values()
        if t.retweet_of is not None and t.original_author_id is not None
    ]
    originals = load(res, original_keys, use_cache=use_cache) if original_keys else {}
    authors = profiles.profiles(
        res, {t.user_id for t in tweets.values()} | {t.user_id for t in originals.values()}
    )
    result = []
    for _, tweet_id in ordered:
        tweet = tweets.get(tweet_id)
        if tweet is None:
            continue
        original = originals.get(tweet.retweet_of) if tweet.retweet_of else None
        if tweet.retweet_of is not None and original is None:
            continue  # the original is gone, so the retweet shows nothing
        result.append(to_public(tweet, authors, original))
    return result


def to_public(
    tweet: Tweet, authors: dict[int, UserPublic] | None = None, original: Tweet | None = None
) -> TweetPublic:
    authors = authors or {}
    return TweetPublic(
        tweet_id=str(tweet.tweet_id),
        user_id=str(tweet.user_id),
        text=tweet.text,
        created_at=_time(tweet.created_at_ms),
        hashtags=tweet.hashtags,
        mentions=tweet.mentions,
        media_urls=tweet.media_urls,
        like_count=tweet.like_count,
        retweet_count=tweet.retweet_count,
        reply_to=None if tweet.reply_to is None else str(tweet.reply_to),
        retweet_of=to_public(original, authors) if original else None,
        edited_at=_time(tweet.edited_at_ms) if tweet.edited_at_ms else None,
        author=_author(authors.get(tweet.user_id)),
    )


def _author(profile: UserPublic | None) -> Author | None:
    if profile is None:
        return None
    return Author(
        user_id=profile.user_id, username=profile.username, display_name=profile.display_name
    )


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
