"""The search use cases: `search_tweets` and `search_users`, newest or best first,
paged with OpenSearch's `search_after` inside an opaque cursor.

A query is words and `#hashtags`: every hashtag must be on the tweet (exact term),
and the words must all be in its text (analysed full text). Tweets come back
hydrated from their store, so they have the feed's shape and a tweet deleted since
it was indexed is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from opensearchpy import NotFoundError, OpenSearch, RequestError, TransportError

from stack import text as text_rules
from stack.gateway import cursor
from stack.gateway.errors import ApiError, unavailable
from stack.resources import Resources
from stack.schema.indices import TWEETS_INDEX, USERS_INDEX
from stack.tweets import hydrate
from stack.tweets.schemas import TweetPublic
from stack.users import profiles
from stack.users.schemas import Page, UserPublic

MAX_QUERY_CHARS = 280


@dataclass(frozen=True)
class ParsedQuery:
    hashtags: list[str]
    words: str


def valid_query(q: str) -> str:
    """`q` without surrounding blanks; a 422 ApiError when that is empty or too long."""
    clean = q.strip()
    if not clean or len(clean) > MAX_QUERY_CHARS:
        raise ApiError(422, "invalid", f"q must be 1 to {MAX_QUERY_CHARS} characters")
    return clean


def parse_query(q: str) -> ParsedQuery:
    """Split `q` into hashtags, read as the write path reads them (lower-cased, without
    '#' or trailing punctuation), and the remaining words."""
    hashtags: list[str] = []
    words: list[str] = []
    for token in valid_query(q).split():
        tags = text_rules.hashtags(token) if token.startswith("#") else []
        if tags:
            hashtags.extend(tags)
        else:
            words.append(token)
    return ParsedQuery(list(dict.fromkeys(hashtags)), " ".join(words))


def search_tweets(res: Resources, q: str, raw_cursor: str | None, limit: int) -> Page[TweetPublic]:
    """Tweets matching `q`, newest first."""
    parsed = parse_query(q)
    after = _search_after(raw_cursor, (int, str))
    body: dict[str, Any] = {
        "size": limit + 1,
        "query": _tweets_query(parsed),
        "sort": [{"created_at": "desc"}, {"tweet_id": "desc"}],
        "_source": ["tweet_id", "user_id"],
    }
    hits = _search(res.search, TWEETS_INDEX, body, after)
    page, next_cursor = _cut(hits, limit)
    keys = [(int(h["_source"]["user_id"]), int(h["_source"]["tweet_id"])) for h in page]
    return Page[TweetPublic](items=hydrate.hydrate(res, keys), next_cursor=next_cursor)


def search_users(res: Resources, q: str, raw_cursor: str | None, limit: int) -> Page[UserPublic]:
    """Users whose username or display name matches `q`, best match first."""
    text = valid_query(q)
    after = _search_after(raw_cursor, (float, str))
    body: dict[str, Any] = {
        "size": limit + 1,
        "query": _users_query(text),
        "sort": [{"_score": "desc"}, {"user_id": "asc"}],
        "_source": ["user_id"],
    }
    hits = _search(res.search, USERS_INDEX, body, after)
    page, next_cursor = _cut(hits, limit)
    ids = [int(h["_source"]["user_id"]) for h in page]
    found = profiles.profiles(res, ids)
    return Page[UserPublic](items=[found[i] for i in ids if i in found], next_cursor=next_cursor)


def _tweets_query(parsed: ParsedQuery) -> dict[str, Any]:
    must: list[dict[str, Any]] = [{"term": {"hashtags": tag}} for tag in parsed.hashtags]
    if parsed.words or not parsed.hashtags:
        must.append({"match": {"text": {"query": parsed.words, "operator": "and"}}})
    return {"bool": {"filter": must, "must_not": [{"term": {"deleted": True}}]}}


def _users_query(text: str) -> dict[str, Any]:
    name = text.lstrip("@").lower()
    return {
        "bool": {
            "should": [
                {"term": {"username.raw": {"value": name, "boost": 10}}},
                {"match_phrase_prefix": {"username": {"query": name, "boost": 3}}},
                {"match": {"display_name": {"query": text, "operator": "and"}}},
                {"match_phrase_prefix": {"display_name": text}},
            ],
            "minimum_should_match": 1,
        }
    }


def _search(
    client: OpenSearch, index: str, body: dict[str, Any], after: list[Any] | None
) -> list[dict[str, Any]]:
    if after is not None:
        body = {**body, "search_after": after}
    try:
        answer = client.search(index=index, body=body)
    except NotFoundError:
        return []  # the index is not there yet: nothing was indexed
    except RequestError as error:
        raise ApiError(400, "bad_request", "search refused the query or cursor") from error
    except TransportError as error:  # unreachable, timed out, or failing (5xx)
        raise unavailable("search") from error
    return list(answer["hits"]["hits"])


def _cut(hits: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """The page's hits and the cursor after them (None when this is the last page)."""
    page = hits[:limit]
    if len(hits) <= limit:
        return page, None
    return page, cursor.encode({"after": page[-1]["sort"]})


def _search_after(raw_cursor: str | None, types: tuple[type, type]) -> list[Any] | None:
    position = cursor.decode(raw_cursor)
    if position is None:
        return None
    after = position.get("after")
    valid = (
        isinstance(after, list)
        and len(after) == len(types)
        and all(_is(v, t) for v, t in zip(after, types, strict=True))
    )
    if not valid:
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued")
    return after  # type: ignore[return-value]


def _is(value: Any, kind: type) -> bool:
    """Whether a cursor value is one OpenSearch could have given: finite, within a long."""
    if isinstance(value, bool):
        return False
    if kind is float:  # a score may come back whole
        return isinstance(value, int | float) and math.isfinite(value) and abs(value) < 2**63
    if kind is int:
        return isinstance(value, int) and -(2**63) <= value < 2**63
    return isinstance(value, str) and len(value) <= 64
