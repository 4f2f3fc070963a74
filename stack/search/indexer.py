"""The search-indexer worker: tweets and users into OpenSearch with the bulk API.

Redelivery and reordering are safe through external versioning: every write
carries a version and OpenSearch keeps a document only when the write's version
is at least the stored one (`external_gte`).

- a create is version `at_ms` (the tweet's created_at), an edit `at_ms` (its
  edited_at), so an old create replayed after an edit is refused;
- a delete writes a tombstone (`deleted: true`, no text) at `DELETED_VERSION`,
  above every time, so no create or edit replayed later can bring the text back. A
  retweet's delete writes one too: retweets are not indexed as made, but a document
  under a retweet's id (from an edit, before edits of retweets were refused) must go.
  A real delete would forget its version once OpenSearch collects the deletion
  (`index.gc_deletes`, 60 s), after which a replay would resurrect the tweet.

Every tweet document is whole (an edit arrives before its create just as well):
its `created_at` comes from the time-sortable tweet id, not the event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from opensearchpy import OpenSearch, helpers
from prometheus_client import Counter

from chirp.core.settings import Settings
from chirp.stack import events, tracing
from chirp.stack.ids import id_time_ms
from chirp.stack.resources import Resources
from chirp.stack.schema import topics
from chirp.stack.schema.indices import TWEETS_INDEX, USERS_INDEX
from chirp.stack.users import profiles

log = logging.getLogger(__name__)

DELETED_VERSION = 2**62
"""The version of a tombstone: above any millisecond time, below OpenSearch's limit."""

WRITES = Counter("chirp_search_writes_total", "Documents sent to OpenSearch", ["index"])
STALE = Counter("chirp_search_stale_total", "Writes refused as older than the stored version")

_CONFLICT = 409


class IndexingFailed(Exception):
    """OpenSearch refused documents for a reason other than their being stale."""


class SearchIndexer:
    """Handler of group `search-indexer`: one bulk request per batch."""

    group = "search-indexer"
    topics: Sequence[str] = topics.SUBSCRIPTIONS["search-indexer"]

    def __init__(self, res: Resources) -> None:
        self.res = res

    def handle(self, batch: list[events.Event]) -> None:
        usernames = self._usernames(batch)
        actions = [a for event in batch for a in actions_for(event, usernames)]
        if actions:
            indexed = [int(a["_id"]) for a in actions if a["_index"] == TWEETS_INDEX]
            sent = {"chirp.documents": len(actions)}
            with tracing.hop("opensearch.bulk", "index", indexed, sent):
                write(self.res.search, actions)

    def _usernames(self, batch: Iterable[events.Event]) -> dict[int, str]:
        authors = {
            e.user_id for e in batch if isinstance(e, events.TweetCreated | events.TweetEdited)
        }
        return {uid: p.username for uid, p in profiles.profiles(self.res, authors).items()}


def build_handler(settings: Settings) -> SearchIndexer:
    return SearchIndexer(Resources.open(settings))


def actions_for(event: events.Event, usernames: dict[int, str]) -> list[dict[str, Any]]:
    """The bulk actions that apply `event` (none for events search does not show)."""
    if isinstance(event, events.TweetCreated | events.TweetEdited):
        return [_tweet_action(event, usernames.get(event.user_id))]
    if isinstance(event, events.TweetDeleted):
        return [_tombstone_action(event)]
    if isinstance(event, events.UserCreated):
        return [_user_action(event)]
    return []


def _versioned(index: str, doc_id: int, version: int, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "_op_type": "index",
        "_index": index,
        "_id": str(doc_id),
        "version": version,
        "version_type": "external_gte",
        "_source": source,
    }


def _tweet_action(
    event: events.TweetCreated | events.TweetEdited, username: str | None
) -> dict[str, Any]:
    source = {
        "tweet_id": str(event.tweet_id),
        "user_id": str(event.user_id),
        "username": username,
        "text": event.text,
        "hashtags": event.hashtags,
        "mentions": event.mentions,
        "created_at": id_time_ms(event.tweet_id),
        "version": event.at_ms,
        "deleted": False,
    }
    return _versioned(TWEETS_INDEX, event.tweet_id, event.at_ms, source)


def _tombstone_action(event: events.TweetDeleted) -> dict[str, Any]:
    source = {
        "tweet_id": str(event.tweet_id),
        "user_id": str(event.user_id),
        "created_at": id_time_ms(event.tweet_id),
        "version": DELETED_VERSION,
        "deleted": True,
    }
    return _versioned(TWEETS_INDEX, event.tweet_id, DELETED_VERSION, source)


def _user_action(event: events.UserCreated) -> dict[str, Any]:
    source = {
        "user_id": str(event.user_id),
        "username": event.username,
        "display_name": event.display_name,
        "created_at": event.at_ms,
    }
    return _versioned(USERS_INDEX, event.user_id, event.at_ms, source)


def write(client: OpenSearch, actions: list[dict[str, Any]]) -> None:
    """Send `actions` in bulk; stale writes are expected and skipped, anything else raises."""
    _, errors = helpers.bulk(client, actions, raise_on_error=False, max_retries=2)
    failed = []
    for error in errors:
        (op, item), *_ = error.items()
        if item.get("status") == _CONFLICT:
            STALE.inc()
            log.debug("stale %s of %s/%s skipped", op, item.get("_index"), item.get("_id"))
        else:
            failed.append(item)
    if failed:
        first = failed[0]
        raise IndexingFailed(
            f"{len(failed)} of {len(actions)} documents refused; first: "
            f"{first.get('_index')}/{first.get('_id')} {first.get('status')} {first.get('error')}"
        )
    for action in actions:
        WRITES.labels(action["_index"]).inc()
