"""`GET /notifications`: the caller's mentions, follows, likes and retweets, newest first."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from fastapi import APIRouter

from stack.gateway import cursor
from stack.gateway.deps import CurrentUser, CursorQuery, LimitQuery, ResourcesDep
from stack.gateway.errors import ApiError, unavailable
from stack.notify import inbox
from stack.notify.schemas import NotificationPublic
from stack.users.schemas import Page

router = APIRouter(tags=["notifications"])


@router.get(
    "/notifications",
    responses={
        400: {"description": "a cursor this API did not issue"},
        401: {"description": "missing or invalid bearer token"},
        503: {"description": "notifications are unavailable; retry after Retry-After"},
    },
)
def list_notifications(
    caller: CurrentUser, res: ResourcesDep, cursor_: CursorQuery = None, limit: LimitQuery = 20
) -> Page[NotificationPublic]:
    """The caller's notifications, newest first; the inbox keeps the latest 500."""
    before = _position(cursor.decode(cursor_))
    try:
        found = inbox.page(res.redis, caller, before, limit + 1)
    except redis.RedisError as error:
        raise unavailable("notifications") from error
    page = found[:limit]
    more = len(found) > limit
    return Page[NotificationPublic](
        items=[_public(n) for n in page],
        next_cursor=cursor.encode({"at": page[-1].created_at_ms, "id": page[-1].id})
        if more
        else None,
    )


def _position(position: dict[str, object] | None) -> tuple[int, str] | None:
    if position is None:
        return None
    at = cursor.int_field(position, "at")
    last_id = position.get("id")
    if at is None or not 0 <= at < 2**63 or not isinstance(last_id, str):
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued")
    return at, last_id


def _public(n: inbox.Notification) -> NotificationPublic:
    return NotificationPublic(
        id=n.id,
        kind=n.kind,
        actor_id=str(n.actor_id),
        tweet_id=None if n.tweet_id is None else str(n.tweet_id),
        created_at=datetime.fromtimestamp(n.created_at_ms / 1000, tz=UTC),
    )
