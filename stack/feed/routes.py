"""The home timeline: `GET /feed?userId=&limit=&cursor=` (mounted under /api/v1)."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from chirp.stack.feed.read import FeedGuard, read_feed
from chirp.stack.gateway.deps import MAX_ID, CurrentUser, CursorQuery, ResourcesDep
from chirp.stack.gateway.errors import forbidden, not_found
from chirp.stack.gateway.openapi import AUTHENTICATED, errors
from chirp.stack.tweets.pages import TweetPage, tweet_page
from chirp.stack.users import profiles

router = APIRouter(tags=["feed"])

DEGRADED_HEADER = "X-Chirp-Degraded"
_guard_lock = threading.Lock()


async def get_guard(request: Request, res: ResourcesDep) -> FeedGuard:
    """The process's one feed guard (breaker and degraded cap), made on first use (async:
    it never blocks, so it costs no trip through the thread pool)."""
    state = request.app.state
    with _guard_lock:
        guard: FeedGuard | None = getattr(state, "feed_guard", None)
        if guard is None:
            guard = state.feed_guard = FeedGuard(res.settings)
    return guard


GuardDep = Annotated[FeedGuard, Depends(get_guard)]
UserIdQuery = Annotated[
    int, Query(alias="userId", ge=0, le=MAX_ID, description="the caller's own id")
]
FeedLimitQuery = Annotated[int, Query(ge=1, le=100)]


@router.get(
    "/feed",
    response_model=TweetPage,
    responses={
        **AUTHENTICATED,
        **errors(
            403,
            404,
            503,
            e403="not the caller's own feed",
            e404="no such user",
            e503="Redis is down and the degraded path is at capacity",
        ),
    },
)
def read_home_feed(
    user_id: UserIdQuery,
    caller: CurrentUser,
    res: ResourcesDep,
    guard: GuardDep,
    cursor_: CursorQuery = None,
    limit: FeedLimitQuery = 20,
) -> Response:
    """The caller's home timeline, newest first: own tweets, followees' tweets and
    retweets, followed celebrities' tweets. `X-Chirp-Degraded: 1` when served from
    the database because the cache is down."""
    if user_id != caller:
        if not profiles.profiles(res, [user_id]):
            raise not_found("User")
        raise forbidden("you may only read your own feed")
    page = read_feed(res, guard, user_id, limit, cursor_)
    headers = {DEGRADED_HEADER: "1"} if page.degraded else None
    return tweet_page(page.items, page.next_cursor, headers)
