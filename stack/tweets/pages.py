"""A page of tweets as the response body.

The items are made by this service from stored tweets, so they are serialised once and
not validated again on the way out: FastAPI would dump a returned model to Python
objects and validate those against the response model before writing JSON.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response

from chirp.stack.tweets.schemas import TweetPublic
from chirp.stack.users.schemas import Page

TweetPage = Page[TweetPublic]


def tweet_page(
    items: list[TweetPublic], next_cursor: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    body = TweetPage.model_construct(items=items, next_cursor=next_cursor)
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)
