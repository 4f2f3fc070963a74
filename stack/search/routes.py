"""`GET /search`: full-text and `#hashtag` search over tweets, or users by name."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from chirp.stack.gateway.deps import LimitQuery, ResourcesDep, SearchCursorQuery
from chirp.stack.gateway.openapi import errors
from chirp.stack.search import service
from chirp.stack.text import VISIBLE_PATTERN
from chirp.stack.tweets.schemas import TweetPublic
from chirp.stack.users.schemas import Page, UserPublic

router = APIRouter(tags=["search"])

SearchText = Annotated[
    str,
    Query(
        alias="q",
        min_length=1,
        max_length=service.MAX_QUERY_CHARS,
        pattern=VISIBLE_PATTERN,
        description="words, `#hashtags`, or both; for users a username or display name",
        examples=["#chirp hello"],
    ),
]
SearchType = Annotated[Literal["tweets", "users"], Query(alias="type")]


@router.get(
    "/search",
    responses=errors(
        422,
        503,
        e422="q with nothing visible or longer than 280 characters, or a cursor outside "
        "its pattern",
        e503="search is unavailable; retry after Retry-After seconds",
    ),
)
def search_content(
    res: ResourcesDep,
    q: SearchText,
    type_: SearchType = "tweets",
    cursor_: SearchCursorQuery = None,
    limit: LimitQuery = 20,
) -> Page[TweetPublic] | Page[UserPublic]:
    """Tweets newest first (hashtags match exactly, words as full text), or users best first."""
    if type_ == "users":
        return service.search_users(res, q, cursor_, limit)
    return service.search_tweets(res, q, cursor_, limit)
