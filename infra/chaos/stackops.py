"""What a drill does to the stack through the stack's own clients, on any provider: flush
the cache, regenerate feeds, move the backpressure threshold at run time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chirp.core.settings import Settings
from chirp.stack import clients
from chirp.stack.feed.read import regenerate_feed
from chirp.stack.resources import Resources
from chirp.stack.tweets import backpressure


class StackOps:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._threshold_before: list[int | None] = []
        """The run-time backpressure threshold before this drill changed it (empty: unchanged)"""

    def flush_cache(self) -> str:
        client = clients.redis_client(self.settings, timeout=5)
        try:
            keys = client.dbsize()
            client.flushall()
        finally:
            client.close()
        return f"FLUSHALL on Redis ({keys} keys in db 0 before)"

    def regenerate_feeds(self, user_ids: list[str]) -> str:
        """Rebuild these users' feeds through the stack's own regeneration path."""
        res = Resources.open(self.settings)
        try:
            rebuilt = sum(regenerate_feed(res, int(uid)) for uid in user_ids)
        finally:
            res.close()
        return f"regenerated {rebuilt} of {len(user_ids)} feeds from the stores"

    def set_backpressure(self, lag: int) -> str:
        """Make `lag` every gateway's backpressure threshold, at run time."""
        before = self._with_redis(lambda client: backpressure.set_threshold(client, lag))
        if not self._threshold_before:
            self._threshold_before.append(before)
        return f"backpressure threshold {lag} on every gateway (was {self._describe(before)})"

    def restore_backpressure(self) -> str:
        """Put back the threshold that applied before the first `set_backpressure`."""
        if not self._threshold_before:
            return "the backpressure threshold was not changed"
        before = self._threshold_before.pop()
        self._with_redis(lambda client: backpressure.set_threshold(client, before))
        return f"backpressure threshold back to {self._describe(before)}"

    def _describe(self, threshold: int | None) -> str:
        if threshold is None:
            return f"the setting's {self.settings.backpressure_lag}"
        return str(threshold)

    def _with_redis(self, work: Callable[[Any], int | None]) -> int | None:
        client = clients.redis_client(self.settings, timeout=5)
        try:
            return work(client)
        finally:
            client.close()
