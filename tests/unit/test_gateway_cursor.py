"""Cursors: every string of a kind's documented pattern decodes; nothing else does."""

from __future__ import annotations

import re

import pytest

from chirp.stack.gateway import cursor
from chirp.stack.gateway.errors import ApiError


def _matches(pattern: str, raw: str) -> bool:
    """As JSON Schema reads the pattern (ECMA-262: `$` is the very end, not before a newline)."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), raw) is not None


@pytest.mark.parametrize("raw", ["0", "42", "9223372036854775807", "9" * 19])
def test_every_id_cursor_of_the_pattern_decodes_within_64_bits(raw):
    assert _matches(cursor.ID_PATTERN, raw)
    assert 0 <= cursor.decode_id(raw) <= cursor.MAX_ID


@pytest.mark.parametrize("raw", ["1" + "0" * 125, "-5", "abc", "1 ", "eyJiZWZvcmUiOjF9", "1\n"])
def test_anything_else_is_a_400(raw):
    assert not _matches(cursor.ID_PATTERN, raw)
    with pytest.raises(ApiError) as caught:
        cursor.decode_id(raw)
    assert caught.value.status == 400


def test_id_and_notification_cursors_round_trip():
    assert cursor.decode_id(cursor.encode_id(387654668131508224)) == 387654668131508224
    assert cursor.decode_id(None) is None
    issued = cursor.encode_notification(1_796_491_033_790, "like:12:34")
    assert _matches(cursor.NOTIFICATION_PATTERN, issued)
    assert cursor.decode_notification(issued) == (1_796_491_033_790, "like:12:34")
    with pytest.raises(ApiError):
        cursor.decode_notification("1~poke:1:2")
