"""Opaque pagination cursors: URL-safe base64 of a small JSON object."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from stack.gateway.errors import ApiError


def encode(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str | None) -> dict[str, Any] | None:
    """The position in `cursor`, None for no cursor; a 400 ApiError for a forged one."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued") from error
    if not isinstance(position, dict):
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued")
    return position


def int_field(position: dict[str, Any] | None, name: str) -> int | None:
    """An integer field of a decoded cursor, or a 400 when it is missing or not a number."""
    if position is None:
        return None
    value = position.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, "bad_cursor", "cursor is not one this API issued")
    return value
