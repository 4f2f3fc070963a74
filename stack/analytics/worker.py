"""The analytics worker: per-minute counts of tweets, retweets, deletes, likes,
follows, unfollows, sign-ups and active users into PostgreSQL.

An event counts in the minute of its `at_ms`; its actor counts once as an active
user of that minute. Each batch is one transaction (stack.analytics.store), and
every event has an identity, so redelivery counts nothing twice. Feed reads are
not events on Kafka: the gateways count them in their metrics
(`chirp_http_requests_total` of the feed route), not here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import psycopg
from prometheus_client import Counter

from chirp.core.settings import Settings
from chirp.stack import events, tracing
from chirp.stack.analytics import store
from chirp.stack.analytics.store import Seen
from chirp.stack.resources import Resources
from chirp.stack.schema import topics

PRUNE_INTERVAL_S = 3600.0
COUNTED = Counter("chirp_analytics_counted_total", "Things newly counted per minute")


def _identity(event: events.Event) -> tuple[str, str] | None:
    """(kind, identity) of the event's own count; None when only its actor counts."""
    if isinstance(event, events.TweetCreated):
        return "tweet", str(event.tweet_id)
    if isinstance(event, events.RetweetCreated):
        return "retweet", str(event.tweet_id)
    if isinstance(event, events.TweetDeleted):
        return "delete", str(event.tweet_id)
    if isinstance(event, events.LikeAdded):
        return "like", f"{event.user_id}:{event.tweet_id}:{event.at_ms}"
    if isinstance(event, events.FollowChanged):
        kind = "follow" if event.following else "unfollow"
        return kind, f"{event.user_id}:{event.followee_id}:{event.at_ms}"
    if isinstance(event, events.UserCreated):
        return "signup", str(event.user_id)
    return None


def seen_in(event: events.Event) -> list[Seen]:
    """What `event` counts: itself (when it is a counted kind) and its actor as active."""
    minute = datetime.fromtimestamp(event.at_ms // 60_000 * 60, tz=UTC)
    found = [Seen(minute, "active", str(event.user_id))]  # type: ignore[union-attr]
    identity = _identity(event)
    if identity is not None:
        found.append(Seen(minute, *identity))
    return found


class AnalyticsWorker:
    """Handler of group `analytics`."""

    group = "analytics"
    topics: Sequence[str] = topics.SUBSCRIPTIONS["analytics"]

    def __init__(self, res: Resources, clock: Callable[[], float] = time.time) -> None:
        self.res = res
        self._clock = clock
        self._pruned_at = 0.0

    def handle(self, batch: list[events.Event]) -> None:
        seen = [s for event in batch for s in seen_in(event)]
        with (
            tracing.hop("postgres.analytics_count", "analytics", events.tweet_ids(batch)),
            self.res.pg.connection() as conn,
        ):
            COUNTED.inc(store.count(conn, seen))
            self._prune(conn)

    def _prune(self, conn: psycopg.Connection) -> None:
        now = self._clock()
        if now - self._pruned_at >= PRUNE_INTERVAL_S:
            store.prune_seen(conn, datetime.fromtimestamp(now, tz=UTC))
            self._pruned_at = now


def build_handler(settings: Settings) -> AnalyticsWorker:
    return AnalyticsWorker(Resources.open(settings))
