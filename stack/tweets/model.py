"""A tweet as the stack holds it, and its DynamoDB item form (the only place that maps it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEEDED = "seeded"
"""Item attribute of bulk-loaded tweets: already fanned out and indexed, not to be relayed."""

TRACE_CONTEXT = "trace_context"
"""Item attribute (a map of strings) of a traced tweet: the W3C trace context of the write,
which the relay hands on to Kafka so the workers' spans join the request's trace."""


@dataclass(frozen=True)
class Tweet:
    tweet_id: int
    user_id: int
    text: str
    created_at_ms: int
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    media_urls: list[str] = field(default_factory=list)
    reply_to: int | None = None
    retweet_of: int | None = None
    original_author_id: int | None = None
    like_count: int = 0
    retweet_count: int = 0
    edited_at_ms: int | None = None
    lang: str = "und"

    @property
    def key(self) -> dict[str, dict[str, str]]:
        return item_key(self.user_id, self.tweet_id)

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "user_id": {"N": str(self.user_id)},
            "tweet_id": {"N": str(self.tweet_id)},
            "text": {"S": self.text},
            "created_at": {"N": str(self.created_at_ms)},
            "hashtags": {"L": [{"S": h} for h in self.hashtags]},
            "mentions": {"L": [{"S": m} for m in self.mentions]},
            "media_urls": {"L": [{"S": u} for u in self.media_urls]},
            "like_count": {"N": str(self.like_count)},
            "retweet_count": {"N": str(self.retweet_count)},
            "lang": {"S": self.lang},
        }
        optional = {
            "reply_to": self.reply_to,
            "retweet_of": self.retweet_of,
            "original_author_id": self.original_author_id,
            "edited_at": self.edited_at_ms,
        }
        item.update({k: {"N": str(v)} for k, v in optional.items() if v is not None})
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Tweet:
        def number(name: str) -> int | None:
            return int(item[name]["N"]) if name in item else None

        def strings(name: str) -> list[str]:
            return [v["S"] for v in item.get(name, {}).get("L", [])]

        return cls(
            tweet_id=int(item["tweet_id"]["N"]),
            user_id=int(item["user_id"]["N"]),
            text=item.get("text", {}).get("S", ""),
            created_at_ms=number("created_at") or 0,
            hashtags=strings("hashtags"),
            mentions=strings("mentions"),
            media_urls=strings("media_urls"),
            reply_to=number("reply_to"),
            retweet_of=number("retweet_of"),
            original_author_id=number("original_author_id"),
            like_count=number("like_count") or 0,
            retweet_count=number("retweet_count") or 0,
            edited_at_ms=number("edited_at"),
            lang=item.get("lang", {}).get("S", "und"),
        )


def trace_item(carrier: dict[str, str]) -> dict[str, Any]:
    """The `TRACE_CONTEXT` attribute for a carrier (empty when untraced)."""
    if not carrier:
        return {}
    return {TRACE_CONTEXT: {"M": {k: {"S": v} for k, v in carrier.items()}}}


def trace_carrier(item: dict[str, Any]) -> dict[str, str]:
    """The carrier stored with an item; empty when there is none."""
    stored = item.get(TRACE_CONTEXT, {}).get("M", {})
    return {k: v["S"] for k, v in stored.items() if "S" in v}


def item_key(user_id: int, tweet_id: int) -> dict[str, dict[str, str]]:
    return {"user_id": {"N": str(user_id)}, "tweet_id": {"N": str(tweet_id)}}
