"""The trending worker: hashtag counts per minute and scope, then the rankings.

Scopes: `global` (every tweet) and `lang:<code>` (the tweet's language: the
event's `lang`, else a guess from its text; none when undetermined). Each batch
records the tweets' contributions (see stack.trending.store: counted once per
tweet however often an event comes) and re-ranks the scopes it touched; a
background thread re-ranks every scope each minute, which is the decay: scores
move as the window slides even when no tweet arrives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import Counter

from chirp.core.settings import Settings
from chirp.stack import events, tracing
from chirp.stack.ids import id_time_ms
from chirp.stack.resources import Resources
from chirp.stack.schema import topics
from chirp.stack.trending import lang, score
from chirp.stack.trending.store import (
    DELETED_VERSION,
    GLOBAL,
    RANKING_SIZE,
    Contribution,
    TrendingStore,
)

log = logging.getLogger(__name__)

DECAY_INTERVAL_S = 60.0
_RERANK_MIN_S = 2.0
"""A busy scope is re-ranked at most this often from batches; the decay tick catches up."""

RERANKS = Counter("chirp_trending_reranks_total", "Rankings recomputed", ["scope"])
APPLIED = Counter("chirp_trending_events_total", "Tweet events applied to counts", ["topic"])


def scopes_of(event: events.TweetCreated | events.TweetEdited) -> list[str]:
    """`global`, and `lang:<code>` when the tweet's language is known or can be guessed."""
    code = lang.normalise(getattr(event, "lang", lang.UNDETERMINED))
    if code == lang.UNDETERMINED:
        code = lang.guess(event.text)
    return [GLOBAL] if code == lang.UNDETERMINED else [GLOBAL, f"lang:{code}"]


def contribution_of(event: events.Event) -> Contribution | None:
    """What `event` says its tweet counts for; None for events trending ignores."""
    if isinstance(event, events.TweetCreated | events.TweetEdited):
        pairs = frozenset((s, tag) for s in scopes_of(event) for tag in event.hashtags)
        version = event.at_ms
    elif isinstance(event, events.TweetDeleted):
        pairs, version = frozenset(), DELETED_VERSION
    else:
        return None
    minute = score.minute_of(id_time_ms(event.tweet_id))
    return Contribution(event.tweet_id, minute, version, pairs)


class TrendingWorker:
    """Handler of group `trending`."""

    group = "trending"
    topics: Sequence[str] = topics.SUBSCRIPTIONS["trending"]

    def __init__(self, res: Resources, clock: Callable[[], float] = time.time) -> None:
        self.store = TrendingStore(res.redis, res.settings.trending_window_s)
        self.window_s = res.settings.trending_window_s
        self._clock = clock
        self._ranked_at: dict[str, float] = {}
        self._stop = threading.Event()

    def handle(self, batch: list[events.Event]) -> None:
        contributions = [c for c in map(contribution_of, batch) if c is not None]
        with tracing.hop("redis.trending_count", "trending", [c.tweet_id for c in contributions]):
            touched = self.store.apply(contributions, self._now_ms())
            for event in batch:
                APPLIED.labels(event.topic).inc()
            due = [s for s in touched if self._clock() - self._ranked_at.get(s, 0) >= _RERANK_MIN_S]
            self.rerank(due)

    def rerank(self, scopes: Iterable[str] | None = None) -> None:
        """Recompute `trending:{scope}` for `scopes` (every known scope when None)."""
        now_ms = self._now_ms()
        minutes = score.window_minutes(now_ms, self.window_s)
        for scope in self.store.scopes() if scopes is None else scopes:
            counts = self.store.counts(scope, minutes)
            ranked = score.rank(counts, now_ms, self.window_s, RANKING_SIZE)
            self.store.replace_ranking(scope, ranked)
            self._ranked_at[scope] = self._clock()
            RERANKS.labels(scope).inc()

    def start_decay(self, interval_s: float = DECAY_INTERVAL_S) -> threading.Thread:
        """Re-rank every scope each `interval_s` in a daemon thread, until `stop_decay`."""
        thread = threading.Thread(
            target=self._decay_loop, args=(interval_s,), name="trending-decay", daemon=True
        )
        thread.start()
        return thread

    def stop_decay(self) -> None:
        self._stop.set()

    def _decay_loop(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            try:
                self.rerank()
            except Exception:  # a Redis hiccup must not end the decay for good
                log.exception("trending decay failed; trying again in %.0f s", interval_s)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def build_handler(settings: Settings) -> TrendingWorker:
    worker = TrendingWorker(Resources.open(settings))
    worker.start_decay()
    return worker
