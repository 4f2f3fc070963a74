"""The fan-out worker: consumer group `fanout` over new tweets, retweets, deletes and follows.

A batch is handled by kind, each kind grouped so that one author's followers are
scanned once per batch and feed writes are pipelined: new tweets first, then
deletes (so a tweet created and deleted within one batch ends up gone), then
follow changes (each reloaded from PostgreSQL). Every step is idempotent, so the
at-least-once runtime may hand the same events over again. Beside the consumer, a
thread rebuilds feeds ahead of their reads when Redis has lost them (`warmup`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from prometheus_client import Counter, Histogram

from chirp.core.settings import Settings
from chirp.stack import events
from chirp.stack.feed import fanout
from chirp.stack.feed.warmup import Warmer
from chirp.stack.ids import id_time_ms
from chirp.stack.resources import Resources
from chirp.stack.schema import topics
from chirp.stack.workers.runtime import Handler

DELIVERIES = Counter("chirp_fanout_deliveries_total", "Tweets written into home feeds")
LAG = Histogram(
    "chirp_fanout_lag_seconds",
    "From a tweet's creation (its id time) to the end of its fan-out",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)


class FanoutHandler:
    """Applies a batch of events to the home feeds."""

    group = "fanout"
    topics: Sequence[str] = topics.SUBSCRIPTIONS["fanout"]

    def __init__(self, res: Resources) -> None:
        self.res = res
        self._warmer = Warmer(res).start()

    def handle(self, batch: list[events.Event]) -> None:
        created = [e for e in batch if isinstance(e, events.TweetCreated | events.RetweetCreated)]
        deleted = [e for e in batch if isinstance(e, events.TweetDeleted)]
        follows = [e for e in batch if isinstance(e, events.FollowChanged)]
        if created:
            self._fan_out(created)
        if deleted:
            fanout.remove_deleted(self.res, deleted)
        if follows:
            DELIVERIES.inc(fanout.apply_follows(self.res, follows))

    def _fan_out(self, created: list[events.TweetCreated | events.RetweetCreated]) -> None:
        DELIVERIES.inc(fanout.fan_out_entries(self.res, [fanout.entry_of(e) for e in created]))
        now_ms = time.time_ns() // 1_000_000
        for event in created:
            LAG.observe(max(0, now_ms - id_time_ms(event.tweet_id)) / 1000)

    def close(self) -> None:
        self._warmer.stop()
        self.res.close()


def build_handler(settings: Settings) -> Handler:
    """The fan-out worker's handler, with clients of its own."""
    return FanoutHandler(Resources.open(settings))
