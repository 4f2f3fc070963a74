"""Request and response shapes of the tweets service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from chirp.stack.text import MAX_TWEET_CHARS, VISIBLE_PATTERN

_TEXT_RULES = (
    f"1 to {MAX_TWEET_CHARS} characters with at least one visible one, stored NFC-normalised; "
    "the first hashtags and mentions count, up to the documented cap"
)


class TweetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_TWEET_CHARS,
        pattern=VISIBLE_PATTERN,
        description=_TEXT_RULES,
        examples=["hello #chirp @ada"],
    )
    reply_to: str | None = Field(None, pattern=r"^\d{1,19}$", description="tweet id replied to")
    media_ids: list[Annotated[str, StringConstraints(pattern=r"^\d{1,19}$")]] = Field(
        default_factory=list,
        max_length=4,
        description="up to 4 of your unused uploads (POST /api/v1/media)",
    )
    # Not in the schema (no client should build one); one sent anyway is refused with a
    # message that names media_ids.
    media_urls: SkipJsonSchema[Any] = None

    @field_validator("media_urls")
    @classmethod
    def _no_urls(cls, urls: Any) -> None:
        if urls:
            raise ValueError(
                "links to media are not taken; upload each image with POST /api/v1/media "
                "and send the ids it returns in media_ids"
            )


class TweetEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_TWEET_CHARS,
        pattern=VISIBLE_PATTERN,
        description=_TEXT_RULES,
        examples=["hello again #chirp"],
    )


class Author(BaseModel):
    user_id: str
    username: str
    display_name: str


class TweetPublic(BaseModel):
    tweet_id: str
    user_id: str
    text: str
    created_at: datetime
    hashtags: list[str]
    mentions: list[str]
    media_urls: list[str] = []
    like_count: int
    retweet_count: int
    reply_to: str | None
    retweet_of: TweetPublic | None = Field(
        None, description="for a retweet: the original tweet, whole"
    )
    edited_at: datetime | None
    author: Author | None = None
