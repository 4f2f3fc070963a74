"""The media use cases: upload, attach to a tweet, delete with it, sweep the unused.

An upload is checked by its bytes (PNG, JPEG, GIF or WebP, at most `media_max_bytes`),
stored in the object store under a random key, and recorded in the `media` table. A
tweet claims up to four of its author's unused uploads; its `media_urls` point at the
edge. Deleting the tweet deletes its objects and purges them from the edge.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from chirp.stack import edge
from chirp.stack.gateway import ratelimit
from chirp.stack.gateway.errors import ApiError
from chirp.stack.media import kinds, records
from chirp.stack.media.records import Media
from chirp.stack.resources import Resources

log = logging.getLogger(__name__)

MAX_PER_TWEET = 4
_PREFIX = "/media/"


@dataclass(frozen=True)
class Uploaded:
    media_id: int
    url: str


def upload(res: Resources, owner: int, data: bytes) -> Uploaded:
    """Store one image of `owner`; 413 when too large, 415 when not an image we take."""
    settings = res.settings
    if len(data) > settings.media_max_bytes:
        raise ApiError(413, "too_large", f"media over {settings.media_max_bytes} bytes")
    kind = kinds.sniff(data)
    if kind is None:
        raise ApiError(415, "unsupported_media", "media must be a PNG, JPEG, GIF or WebP image")
    if not data:
        raise ApiError(422, "invalid", "empty upload")
    ratelimit.check(res.redis, "media", owner, settings.media_per_hour)
    media_id = res.ids.next_id()
    key = f"{media_id}-{secrets.token_hex(8)}.{kind.extension}"
    res.s3.put_object(
        Bucket=settings.objectstore_bucket,
        Key=key,
        Body=data,
        ContentType=kind.content_type,
        CacheControl="public, max-age=31536000, immutable",
    )
    media = Media(media_id, owner, key, kind.content_type, len(data), _now_ms())
    records.put(res.dynamo, media)
    return Uploaded(media_id, url_of(res, key))


def url_of(res: Resources, key: str) -> str:
    return f"{res.settings.edge_base_url}{_PREFIX}{key}"


def attach(
    res: Resources, owner: int, media_ids: list[int], tweet_id: int, claim_key: str
) -> list[str]:
    """Claim `media_ids` for `tweet_id` and return their edge URLs; 422 (naming media_ids)
    unless every one is the owner's and unused. Nothing stays claimed on failure."""
    if len(set(media_ids)) != len(media_ids):
        raise _invalid("media_ids must not repeat an id")
    claimed: list[Media] = []
    for media_id in media_ids:
        media = records.get(res.dynamo, media_id)
        ok = media is not None and records.claim(res.dynamo, media_id, owner, tweet_id, claim_key)
        if not ok or media is None:
            detach(res, [m.media_id for m in claimed], tweet_id)
            raise _invalid(f"media_ids: {media_id} is not an unused upload of yours")
        claimed.append(media)
    return [url_of(res, m.key) for m in claimed]


def claim_for_post(
    res: Resources, owner: int, media_ids: list[int], tweet_id: int, idempotency_key: str | None
) -> list[str]:
    """`attach` for a new post; a retry with the same idempotency key may claim again."""
    if not media_ids:
        return []
    return attach(res, owner, media_ids, tweet_id, _claim_key(owner, tweet_id, idempotency_key))


def settle_replay(
    res: Resources, owner: int, media_ids: list[int], earlier_id: int, idempotency_key: str | None
) -> None:
    """A retried post found its earlier tweet: point the media claimed again back at it."""
    if media_ids and idempotency_key:
        attach(res, owner, media_ids, earlier_id, _claim_key(owner, earlier_id, idempotency_key))


def _claim_key(owner: int, tweet_id: int, idempotency_key: str | None) -> str:
    return f"key:{owner}:{idempotency_key}" if idempotency_key else f"tweet:{tweet_id}"


def detach(res: Resources, media_ids: list[int], tweet_id: int) -> None:
    """Give back media that `tweet_id` claimed (its post failed or was a replay)."""
    for media_id in media_ids:
        records.release(res.dynamo, media_id, tweet_id)


def delete_urls(res: Resources, urls: list[str]) -> None:
    """Delete the objects and records behind a deleted tweet's media URLs, and purge them."""
    keys = [key for key in (key_of(u) for u in urls) if key]
    for key in keys:
        res.s3.delete_object(Bucket=res.settings.objectstore_bucket, Key=key)
        media_id = key.split("-", 1)[0]
        if media_id.isdigit():
            records.delete(res.dynamo, int(media_id))
    if keys:
        edge.purge_urls(res.settings, [_PREFIX + k for k in keys])


def sweep_unused(res: Resources, now_ms: int | None = None) -> int:
    """Delete media no tweet claimed within `media_unused_keep_s`; returns how many."""
    now_ms = _now_ms() if now_ms is None else now_ms
    cutoff = now_ms - res.settings.media_unused_keep_s * 1000
    stale = records.unclaimed_before(res.dynamo, cutoff)
    for media in stale:
        res.s3.delete_object(Bucket=res.settings.objectstore_bucket, Key=media.key)
        records.delete(res.dynamo, media.media_id)
    if stale:
        edge.purge_urls(res.settings, [_PREFIX + m.key for m in stale])
    return len(stale)


def key_of(url: str) -> str | None:
    """The object key of one of our media URLs, or None for any other URL."""
    path = edge.purge.media_path(url)
    return path.removeprefix(_PREFIX) if path.startswith(_PREFIX) else None


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalid", message)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
