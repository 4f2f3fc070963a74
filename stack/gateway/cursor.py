"""Pagination cursors: short strings of decimal positions, one documented pattern per kind.

Every string a kind's pattern matches is a position the API answers (an empty page when
nothing lies beyond it), so a client or a fuzzer that follows the OpenAPI document never
meets a refusal for a well-formed cursor; anything else is refused before a handler runs.

- `ID_PATTERN`: the id of the last item served. Timelines and feeds continue below that
  tweet id, follower lists after that user id.
- `SEARCH_PATTERN`: `<sort value>~<id>` of the last hit: its time (tweets) or its score
  (users), then its id.
- `NOTIFICATION_PATTERN`: `<time in ms>~<notification id>` of the last one served.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal, NamedTuple

from chirp.stack.gateway.errors import ApiError

MAX_ID = 2**63 - 1
ID_PATTERN = r"^[0-9]{1,19}$"
SEARCH_PATTERN = r"^[0-9]{1,20}(\.[0-9]{1,20})?~[0-9]{1,19}$"
NOTIFICATION_PATTERN = r"^[0-9]{1,19}~(mention|follow|like|retweet):[0-9]{1,19}:[0-9]{1,19}$"

NotificationKind = Literal["mention", "follow", "like", "retweet"]


class SearchPosition(NamedTuple):
    sort_value: Decimal
    item_id: str


class NotificationPosition(NamedTuple):
    at_ms: int
    notification_id: str


def _checked(raw: str, pattern: str) -> str:
    if not re.fullmatch(pattern.strip("^$"), raw):
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued")
    return raw


def encode_id(position: int) -> str:
    return str(position)


def decode_id(raw: str | None) -> int | None:
    """The id in an id cursor (None for no cursor); ids past the 64-bit range read as the
    largest id, so such a cursor starts from the top (or past the end)."""
    if not raw:
        return None
    return min(int(_checked(raw, ID_PATTERN)), MAX_ID)


def encode_search(sort_value: float | int, item_id: str) -> str:
    # Decimal(repr(x)) keeps every digit OpenSearch gave, without an exponent.
    return f"{Decimal(repr(sort_value)):f}~{item_id}"


def decode_search(raw: str | None) -> SearchPosition | None:
    if not raw:
        return None
    value, _, item_id = _checked(raw, SEARCH_PATTERN).partition("~")
    return SearchPosition(Decimal(value), item_id)


def encode_notification(at_ms: int, notification_id: str) -> str:
    return f"{at_ms}~{notification_id}"


def decode_notification(raw: str | None) -> NotificationPosition | None:
    if not raw:
        return None
    at_ms, _, notification_id = _checked(raw, NOTIFICATION_PATTERN).partition("~")
    return NotificationPosition(min(int(at_ms), MAX_ID), notification_id)
