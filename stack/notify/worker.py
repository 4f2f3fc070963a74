"""The notify worker: mentions, follows, likes and retweets into the recipients' inboxes.

- tweet_created, tweet_edited: each mentioned user that exists (usernames resolved in
  PostgreSQL) is told of a `mention` by the author;
- follow_changed (follow, not unfollow): the followee, of a `follow`;
- like_added: the tweet's author, of a `like`;
- retweet_created: the original's author, of a `retweet` of the original tweet.

Nobody is notified of their own action. Inbox ids are deterministic (see
stack.notify.inbox), so a redelivered event adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import Counter

from chirp.core.settings import Settings
from chirp.stack import events, tracing
from chirp.stack.notify.inbox import Notification, deliver
from chirp.stack.resources import Resources
from chirp.stack.schema import topics
from chirp.stack.users import store

DELIVERED = Counter("chirp_notifications_total", "Notifications added to inboxes", ["kind"])


def notifications_for(event: events.Event, user_ids: dict[str, int]) -> list[Notification]:
    """The notifications `event` makes; `user_ids` maps mentioned usernames to ids."""
    found: list[Notification] = []
    if isinstance(event, events.TweetCreated | events.TweetEdited):
        for name in event.mentions:
            uid = user_ids.get(name.lower())
            if uid is not None:
                found.append(
                    Notification(uid, "mention", event.user_id, event.tweet_id, event.at_ms)
                )
    elif isinstance(event, events.FollowChanged) and event.following:
        found.append(Notification(event.followee_id, "follow", event.user_id, None, event.at_ms))
    elif isinstance(event, events.LikeAdded):
        found.append(
            Notification(event.author_id, "like", event.user_id, event.tweet_id, event.at_ms)
        )
    elif isinstance(event, events.RetweetCreated):
        found.append(
            Notification(
                event.original_author_id, "retweet", event.user_id, event.retweet_of, event.at_ms
            )
        )
    return [n for n in found if n.recipient_id != n.actor_id]


class NotifyWorker:
    """Handler of group `notify`."""

    group = "notify"
    topics: Sequence[str] = topics.SUBSCRIPTIONS["notify"]

    def __init__(self, res: Resources) -> None:
        self.res = res

    def handle(self, batch: list[events.Event]) -> None:
        user_ids = self._mentioned(batch)
        notifications = [n for event in batch for n in notifications_for(event, user_ids)]
        told = {"chirp.notifications": len(notifications)}
        with tracing.hop("redis.notify", "notify", events.tweet_ids(batch), told):
            deliver(self.res.redis, notifications)
        for n in notifications:
            DELIVERED.labels(n.kind).inc()

    def _mentioned(self, batch: Iterable[events.Event]) -> dict[str, int]:
        names = {
            name
            for e in batch
            if isinstance(e, events.TweetCreated | events.TweetEdited)
            for name in e.mentions
        }
        if not names:
            return {}
        with self.res.pg.connection() as conn:
            return store.ids_for_usernames(conn, names)


def build_handler(settings: Settings) -> NotifyWorker:
    return NotifyWorker(Resources.open(settings))
