"""Request and response shapes of the tweets service."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

# Generous before normalisation; the 280-character rule is checked after NFC.
_RAW_TEXT_MAX = 2_000


class TweetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=_RAW_TEXT_MAX, examples=["hello #chirp @ada"])
    reply_to: str | None = Field(None, pattern=r"^\d{1,19}$", description="tweet id replied to")
    media_urls: list[HttpUrl] = Field(default_factory=list, max_length=4)


class TweetEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=_RAW_TEXT_MAX)


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
