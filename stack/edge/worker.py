"""The edge purger worker: the backstop to the gateway's purge, and the media sweeper.

- tweet_edited, tweet_deleted: purge the tweet, its author's timeline pages and (for a
  delete) its media from the edge again, in case the gateway's purge was lost; a
  delete's media objects are deleted again too (the gateway may have died between the
  tweet and its media; deleting what is gone is success);
- every `_SWEEP_EVERY_S`, media no tweet claimed within a day is deleted.

Purging twice is harmless, so a redelivered event changes nothing. A purge the edge did
not take (it is down) is not retried: an edge that restarts starts empty.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from prometheus_client import Counter

from chirp.core.settings import Settings
from chirp.stack import events
from chirp.stack.edge.purge import purge_tweet
from chirp.stack.media import service as media
from chirp.stack.resources import Resources
from chirp.stack.schema import topics

log = logging.getLogger(__name__)

PURGES = Counter("chirp_edge_purges_total", "Tweets purged from the edge by the worker", ["ok"])
SWEPT = Counter("chirp_media_swept_total", "Unused media deleted after the keep period")
_SWEEP_EVERY_S = 600.0


class EdgePurger:
    """Handler of group `edge-purger`."""

    group = "edge-purger"
    topics: Sequence[str] = topics.SUBSCRIPTIONS["edge-purger"]

    def __init__(self, res: Resources) -> None:
        self.res = res
        self._swept_at = 0.0

    def handle(self, batch: list[events.Event]) -> None:
        for event in batch:
            if isinstance(event, events.TweetDeleted | events.TweetEdited):
                urls = event.media_urls if isinstance(event, events.TweetDeleted) else []
                media.delete_urls(self.res, urls)
                ok = purge_tweet(self.res.settings, event.tweet_id, event.user_id, urls)
                PURGES.labels(str(ok).lower()).inc()
        self._sweep_now_and_then()

    def _sweep_now_and_then(self) -> None:
        if time.monotonic() - self._swept_at < _SWEEP_EVERY_S:
            return
        self._swept_at = time.monotonic()
        swept = media.sweep_unused(self.res)
        SWEPT.inc(swept)
        if swept:
            log.info("deleted %d unused media", swept)


def build_handler(settings: Settings) -> EdgePurger:
    return EdgePurger(Resources.open(settings))
