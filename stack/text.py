"""Tweet text rules: NFC normalisation, length, hashtags and mentions."""

from __future__ import annotations

import re
import unicodedata

MAX_TWEET_CHARS = 280
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,100})")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,32})")


class TextRejected(ValueError):
    """The text breaks a rule; the message says which."""


def normalise(text: str) -> str:
    """NFC-normalised text of 1 to 280 characters, or TextRejected."""
    clean = unicodedata.normalize("NFC", text)
    if not clean.strip():
        raise TextRejected("Tweet text must not be empty")
    if len(clean) > MAX_TWEET_CHARS:
        raise TextRejected(f"Tweet text is {len(clean)} characters; the limit is {MAX_TWEET_CHARS}")
    return clean


def hashtags(text: str) -> list[str]:
    """Distinct hashtags, lower-cased, in order of first appearance, without '#'."""
    return list(dict.fromkeys(tag.lower() for tag in _HASHTAG.findall(text)))


def mentions(text: str) -> list[str]:
    """Distinct mentioned usernames, lower-cased, without '@'."""
    return list(dict.fromkeys(name.lower() for name in _MENTION.findall(text)))
