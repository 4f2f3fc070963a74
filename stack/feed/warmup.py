"""Feeds rebuilt ahead of their reads after Redis lost them.

When Redis loses its data (FLUSHALL, or a node that comes back empty) every feed is a
miss on its owner's next read. Rebuilt only on read, the hit rate comes back as fast as
reads reach every active user once, which with skewed reads takes tens of seconds
however cheap a rebuild is. So the fan-out worker checks every second that Redis still
holds the timelines' marker; when it does not, one worker rebuilds the feeds of the most
recently active users that are not complete yet, through the same regeneration as reads
(authors' recent lists refilled once each), one feed and two store reads at a time so
that the live reads keep most of the database.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import psycopg
from prometheus_client import Counter

from chirp.stack.feed.read import pushed_authors, regenerate_feed, stored_recent
from chirp.stack.feed.refill import RecentRefills
from chirp.stack.feed.timeline import Timelines
from chirp.stack.resources import Resources
from chirp.stack.users import reads

log = logging.getLogger(__name__)

WARMED = Counter("chirp_feed_warmed_total", "Feeds rebuilt ahead of reads after a cache loss")

CHECK_EVERY_S = 1.0
WARM_MAX_USERS = 20_000
"""The most recently active users whose feeds a warm-up rebuilds; the others wait for a read."""
_STORE_READS = 2  # DynamoDB queries the warm-up has running at once: reads keep their room
_BATCH = 200
_LOCK_S = 30.0


def warm_up(res: Resources) -> int:
    """If Redis lost the feeds, rebuild those of the most recently active users; returns
    how many this rebuilt (0 when nothing was lost, or another worker is at it)."""
    timelines = Timelines.of(res)
    if timelines.is_whole():
        return 0
    token = secrets.token_hex(8)
    if not timelines.lock_warming(token, _LOCK_S):
        return 0
    try:
        timelines.mark_whole()  # first: a loss during the warm-up is seen by the next check
        rebuilt = _rebuild_all(res, timelines, recently_active(res, WARM_MAX_USERS))
    finally:
        timelines.unlock_warming(token)
    log.warning("Redis had lost the feeds: rebuilt %d ahead of their reads", rebuilt)
    return rebuilt


def _rebuild_all(res: Resources, timelines: Timelines, user_ids: Sequence[int]) -> int:
    """One feed at a time, its store reads `_STORE_READS` at a time: the warm-up must
    not take the database from the reads it is there to help. The followees' lists are
    refilled before the feed's rebuild lock is taken, so the lock is held for one script
    call and a reader of that feed meanwhile does not give up waiting and read alone."""
    rebuilt = 0
    with ThreadPoolExecutor(_STORE_READS, thread_name_prefix="feed-warm") as pool:
        refills = RecentRefills(pool)
        for start in range(0, len(user_ids), _BATCH):
            for user_id in timelines.unready(user_ids[start : start + _BATCH]):
                authors = pushed_authors(res, user_id)
                stored_recent(res, timelines.incomplete_recent(authors), refills)
                if regenerate_feed(res, user_id, refills):
                    WARMED.inc()
                    rebuilt += 1
    return rebuilt


def recently_active(res: Resources, most: int) -> list[int]:
    """Users active within the fan-out's active window, the most recent first."""

    def query(conn: psycopg.Connection) -> list[int]:
        rows = conn.execute(
            "SELECT id FROM users WHERE last_active_at >= now() - make_interval(days => %s)"
            " ORDER BY last_active_at DESC LIMIT %s",
            (res.settings.active_days, most),
        ).fetchall()
        return [int(r[0]) for r in rows]

    return reads.read(res, [], query)


class Warmer:
    """A daemon thread that runs `warm_up` every `CHECK_EVERY_S` until stopped."""

    def __init__(self, res: Resources) -> None:
        self._res = res
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="feed-warmer", daemon=True)

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            try:
                warm_up(self._res)
            except Exception as error:  # any store down: the next check tries again
                log.info("feed warm-up not done: %s", error)
