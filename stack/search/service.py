"""The search use cases: `search_tweets` and `search_users`, newest or best first,
paged with OpenSearch's `search_after` inside an opaque cursor.

A query is words and `#hashtags`: every hashtag must be on the tweet (exact term),
and the words must all be in its text (analysed full text). Tweets come back
hydrated from their store, so they have the feed's shape and a tweet deleted since
it was indexed is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opensearchpy import NotFoundError, OpenSearch, RequestError, TransportError

from chirp.stack import text as text_rules
from chirp.stack.gateway import cursor
from chirp.stack.gateway.errors import ApiError, unavailable
from chirp.stack.resources import Resources
from chirp.stack.schema.indices import TWEETS_INDEX, USERS_INDEX
from chirp.stack.tweets import hydrate
from chirp.stack.tweets.schemas import TweetPublic
from chirp.stack.users import profiles
from chirp.stack.users.schemas import Page, UserPublic

MAX_QUERY_CHARS = 280
_VISIBLE = re.compile(text_rules.VISIBLE_PATTERN)
_MAX_LONG = 2**63 - 1


@dataclass(frozen=True)
class ParsedQuery:
    hashtags: list[str]
    words: str


def valid_query(q: str) -> str:
    """`q` without surrounding blanks; a 422 ApiError when nothing visible is left or it is
    too long."""
    clean = q.strip()
    if not _VISIBLE.search(clean) or len(clean) > MAX_QUERY_CHARS:
        raise ApiError(
            422, "invalid", f"q must be 1 to {MAX_QUERY_CHARS} characters, one of them visible"
        )
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
    after = _search_after(raw_cursor, whole=True)
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
    after = _search_after(raw_cursor, whole=False)
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
    sort_value, item_id = page[-1]["sort"]
    return page, cursor.encode_search(sort_value, str(item_id))


def _search_after(raw_cursor: str | None, *, whole: bool) -> list[Any] | None:
    """OpenSearch's `search_after` for a cursor: a time in ms (`whole`) or a score, then an
    id. A time past what OpenSearch can hold reads as the largest it can."""
    position = cursor.decode_search(raw_cursor)
    if position is None:
        return None
    if whole:
        return [min(int(position.sort_value), _MAX_LONG), position.item_id]
    return [float(position.sort_value), position.item_id]
