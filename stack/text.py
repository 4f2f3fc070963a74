"""Tweet text rules: NFC normalisation, length, visible characters, hashtags and mentions.

`BLANK` lists what a reader cannot see: control characters, whitespace, and the format
characters and fillers that render as nothing (zero-width spaces and joiners, direction
marks, the word joiner, the BOM, the Hangul fillers, variation selectors, ...). A tweet or
a display name needs at least one character outside it. The same character class is the
`pattern` the OpenAPI document shows, so the document and the check never disagree.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TWEET_CHARS = 280
BLANK = (
    "\\u0000-\\u0020\\u007f-\\u00a0\\u00ad\\u034f\\u061c\\u115f\\u1160\\u1680\\u17b4\\u17b5"
    "\\u180b-\\u180f\\u2000-\\u200f\\u2028-\\u202f\\u205f-\\u206f\\u2800\\u3000\\u3164"
    "\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufff8"
)
VISIBLE_PATTERN = f"[^{BLANK}]"
"""Matches somewhere in any text a reader can see."""
CONTROL = "\\u0000-\\u001f\\u007f-\\u009f"
NAME_PATTERN = f"^[^{CONTROL}]*{VISIBLE_PATTERN}[^{CONTROL}]*$"
"""A display name: something visible, and no control character anywhere."""

_VISIBLE = re.compile(VISIBLE_PATTERN)
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,32})")


class TextRejected(ValueError):
    """The text breaks a rule; the message says which."""


def normalise(text: str) -> str:
    """NFC-normalised text of 1 to 280 characters with something visible, or TextRejected."""
    clean = unicodedata.normalize("NFC", text)
    if not _VISIBLE.search(clean):
        raise TextRejected("Tweet text must have a visible character")
    if len(clean) > MAX_TWEET_CHARS:
        raise TextRejected(f"Tweet text is {len(clean)} characters; the limit is {MAX_TWEET_CHARS}")
    return clean


def hashtags(text: str, limit: int | None = None) -> list[str]:
    """Distinct hashtags, lower-cased, in order of first appearance, without '#'; the
    first `limit` of them when given."""
    return list(dict.fromkeys(tag.lower() for tag in _HASHTAG.findall(text)))[:limit]


def mentions(text: str, limit: int | None = None) -> list[str]:
    """Distinct mentioned usernames, lower-cased, without '@'; the first `limit` when given."""
    return list(dict.fromkeys(name.lower() for name in _MENTION.findall(text)))[:limit]
