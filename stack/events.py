"""The events the stack puts on Kafka: one model per topic, JSON on the wire.

Every message is keyed by the acting user's id, so one user's events stay in
order on one partition. Consumers must tolerate redelivery and reordering
across users; every handler is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from chirp.stack.schema import topics


class _Event(BaseModel):
    at_ms: int = Field(description="when the change was stored, Unix ms")

    @property
    def topic(self) -> str:
        return str(self.type)  # type: ignore[attr-defined]

    @property
    def key(self) -> str:
        return str(self.user_id)  # type: ignore[attr-defined]

    def encode(self) -> bytes:
        return self.model_dump_json().encode()


class TweetCreated(_Event):
    type: Literal["tweet_created"] = topics.TWEET_CREATED
    tweet_id: int
    user_id: int
    text: str
    hashtags: list[str] = []
    mentions: list[str] = []
    reply_to: int | None = None
    lang: str = "und"


class RetweetCreated(_Event):
    type: Literal["retweet_created"] = topics.RETWEET_CREATED
    tweet_id: int
    user_id: int
    retweet_of: int
    original_author_id: int


class TweetDeleted(_Event):
    type: Literal["tweet_deleted"] = topics.TWEET_DELETED
    tweet_id: int
    user_id: int
    retweet_of: int | None = None
    hashtags: list[str] = []
    media_urls: list[str] = []


class TweetEdited(_Event):
    type: Literal["tweet_edited"] = topics.TWEET_EDITED
    tweet_id: int
    user_id: int
    text: str
    hashtags: list[str] = []
    mentions: list[str] = []
    old_hashtags: list[str] = []


class LikeAdded(_Event):
    type: Literal["like_added"] = topics.LIKE_ADDED
    tweet_id: int
    user_id: int
    author_id: int


class FollowChanged(_Event):
    type: Literal["follow_changed"] = topics.FOLLOW_CHANGED
    user_id: int = Field(description="the follower")
    followee_id: int
    following: bool


class UserCreated(_Event):
    type: Literal["user_created"] = topics.USER_CREATED
    user_id: int
    username: str
    display_name: str


Event = Annotated[
    TweetCreated
    | RetweetCreated
    | TweetDeleted
    | TweetEdited
    | LikeAdded
    | FollowChanged
    | UserCreated,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def tweet_ids(batch: Iterable[Event]) -> list[int]:
    """The ids of the tweets the events are about (follows and sign-ups are about none)."""
    return [t for e in batch if (t := getattr(e, "tweet_id", None)) is not None]


def decode(raw: bytes | str) -> Event:
    """The event in a Kafka message value; raises ValueError when it is not one."""
    try:
        return _ADAPTER.validate_json(raw)
    except Exception as error:
        raise ValueError(f"not a chirp event: {error}") from error
