"""`GET /notifications`: the caller's mentions, follows, likes and retweets, newest first."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from fastapi import APIRouter

from chirp.stack.gateway import cursor
from chirp.stack.gateway.deps import CurrentUser, LimitQuery, NotificationCursorQuery, ResourcesDep
from chirp.stack.gateway.errors import unavailable
from chirp.stack.gateway.openapi import AUTHENTICATED, errors
from chirp.stack.notify import inbox
from chirp.stack.notify.schemas import NotificationPublic
from chirp.stack.users.schemas import Page

router = APIRouter(tags=["notifications"])


@router.get(
    "/notifications",
    responses={
        **AUTHENTICATED,
        **errors(503, e503="notifications are unavailable; retry after Retry-After seconds"),
    },
)
def list_notifications(
    caller: CurrentUser,
    res: ResourcesDep,
    cursor_: NotificationCursorQuery = None,
    limit: LimitQuery = 20,
) -> Page[NotificationPublic]:
    """The caller's notifications, newest first; the inbox keeps the latest 500."""
    before = cursor.decode_notification(cursor_)
    try:
        found = inbox.page(res.redis, caller, before, limit + 1)
    except redis.RedisError as error:
        raise unavailable("notifications") from error
    page = found[:limit]
    more = len(found) > limit
    return Page[NotificationPublic](
        items=[_public(n) for n in page],
        next_cursor=cursor.encode_notification(page[-1].created_at_ms, page[-1].id)
        if more
        else None,
    )


def _public(n: inbox.Notification) -> NotificationPublic:
    return NotificationPublic(
        id=n.id,
        kind=n.kind,
        actor_id=str(n.actor_id),
        tweet_id=None if n.tweet_id is None else str(n.tweet_id),
        created_at=datetime.fromtimestamp(n.created_at_ms / 1000, tz=UTC),
    )
