"""The per-user notification inbox `inbox:{uid}` in Redis; its only owner.

A sorted set scored by the notification's time (Unix ms). The member is the
notification's id, `{kind}:{actor_id}:{tweet_id}` (0 when there is no tweet),
which is all a notification holds besides its time. The id is deterministic, so
one event delivered twice adds nothing (ZADD NX keeps the first), and one actor
liking, unliking and liking a tweet again notifies once. Each inbox keeps its
newest INBOX_MAX.

An inbox has no time to live on purpose: Redis holds its only copy, and Redis evicts
only keys that have one (`volatile-lru`), the caches. So memory pressure drops cached
tweets and feeds, which are rebuilt, never notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis

Kind = Literal["mention", "follow", "like", "retweet"]
KINDS: tuple[Kind, ...] = ("mention", "follow", "like", "retweet")
INBOX_MAX = 500


@dataclass(frozen=True)
class Notification:
    recipient_id: int
    kind: Kind
    actor_id: int
    tweet_id: int | None
    created_at_ms: int

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.actor_id}:{self.tweet_id or 0}"


def _key(user_id: int) -> str:
    return f"inbox:{user_id}"


def _parse(recipient_id: int, member: str, score: float) -> Notification | None:
    kind, _, rest = member.partition(":")
    actor, _, tweet = rest.partition(":")
    if kind not in KINDS or not actor.isdigit() or not tweet.isdigit():
        return None  # not written by this module; skip rather than fail the page
    return Notification(recipient_id, kind, int(actor), int(tweet) or None, int(score))  # type: ignore[arg-type]


def deliver(client: redis.Redis, notifications: Iterable[Notification]) -> int:
    """Add each notification unless its id is already in the inbox; the number added."""
    by_user: dict[int, dict[str, int]] = {}
    for n in notifications:
        by_user.setdefault(n.recipient_id, {}).setdefault(n.id, n.created_at_ms)
    if not by_user:
        return 0
    with client.pipeline(transaction=False) as pipe:
        for user_id, members in by_user.items():
            pipe.zadd(_key(user_id), members, nx=True)  # type: ignore[arg-type]
            pipe.zremrangebyrank(_key(user_id), 0, -(INBOX_MAX + 1))
            pipe.persist(_key(user_id))  # an inbox written when inboxes expired
        answers = pipe.execute()
    return sum(int(added) for added in answers[0::3])


def page(
    client: redis.Redis, user_id: int, before: tuple[int, str] | None, limit: int
) -> list[Notification]:
    """Up to `limit` notifications newest first (ties by id, descending), strictly after
    the position `before` = (created_at ms, id) of the last one seen."""
    key = _key(user_id)
    if before is None:
        found = _scored(client.zrevrangebyscore(key, "+inf", "-inf", 0, limit, withscores=True))
    else:
        at, last_id = before
        ties = _scored(client.zrevrangebyscore(key, at, at, withscores=True))
        found = [(m, s) for m, s in ties if m < last_id][:limit]
        if len(found) < limit:
            older = client.zrevrangebyscore(
                key, f"({at}", "-inf", 0, limit - len(found), withscores=True
            )
            found += _scored(older)
    parsed = (_parse(user_id, member, score) for member, score in found)
    return [n for n in parsed if n is not None]


def _scored(answer: Any) -> list[tuple[str, float]]:
    """A `withscores` answer of a client that decodes responses, typed."""
    return cast(list[tuple[str, float]], answer)
