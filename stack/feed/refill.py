"""Authors' recent lists refilled from DynamoDB, one read per author at a time.

After the cache is lost every feed is rebuilt on its next read, and every rebuild misses
the same authors' recent lists: with each rebuild reading each of its followees, a burst
of N rebuilds of users with F followees made N x F DynamoDB queries for at most the
number of distinct authors. Here concurrent rebuilds in one process share one query per
author, and each author's list is put back in Redis as soon as its query answers, so the
rebuilds after it find it complete. A rebuild then costs at most one query per author
whose list is missing, and the whole recovery about one query per author read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from chirp.stack.feed.entries import Entry

ReadAndFill = Callable[[int], list[Entry]]
"""author id → the author's newest entries, read from the store and put in Redis."""


class RecentRefills:
    """Shares the reads of authors already being read in this process."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._lock = threading.Lock()
        self._running: dict[int, Future[list[Entry]]] = {}

    def read(self, author_ids: Sequence[int], one: ReadAndFill) -> dict[int, list[Entry]]:
        """Each author's newest entries: from a read already running for it, or from
        `one` run in the pool. Raises what a read raised (a Redis error included)."""
        futures = {author: self._join(author, one) for author in dict.fromkeys(author_ids)}
        return {author: future.result() for author, future in futures.items()}

    def _join(self, author_id: int, one: ReadAndFill) -> Future[list[Entry]]:
        with self._lock:
            running = self._running.get(author_id)
            if running is not None:
                return running
            future = self._pool.submit(self._run, author_id, one)
            self._running[author_id] = future
            return future

    def _run(self, author_id: int, one: ReadAndFill) -> list[Entry]:
        try:
            return one(author_id)
        finally:
            # Later rebuilds read the list from Redis, or read again if it is gone.
            with self._lock:
                self._running.pop(author_id, None)
