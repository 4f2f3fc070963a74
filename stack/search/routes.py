"""`GET /search`: full-text and `#hashtag` search over tweets, or users by name."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from stack.gateway.deps import CursorQuery, LimitQuery, ResourcesDep
from stack.search import service
from stack.tweets.schemas import TweetPublic
from stack.users.schemas import Page, UserPublic

router = APIRouter(tags=["search"])

SearchText = Annotated[
    str,
    Query(
        alias="q",
        max_length=service.MAX_QUERY_CHARS,
        description="words, `#hashtags`, or both; for users a username or display name",
        examples=["#chirp hello"],
    ),
]
SearchType = Annotated[Literal["tweets", "users"], Query(alias="type")]


@router.get(
    "/search",
    responses={
        400: {"description": "a cursor this API did not issue"},
        422: {"description": "q empty or longer than 280 characters"},
        503: {"description": "search is unavailable; retry after Retry-After seconds"},
    },
)
def search_content(
    res: ResourcesDep,
    q: SearchText,
    type_: SearchType = "tweets",
    cursor_: CursorQuery = None,
    limit: LimitQuery = 20,
) -> Page[TweetPublic] | Page[UserPublic]:
    """Tweets newest first (hashtags match exactly, words as full text), or users best first."""
    if type_ == "users":
        return service.search_users(res, q, cursor_, limit)
    return service.search_tweets(res, q, cursor_, limit)
