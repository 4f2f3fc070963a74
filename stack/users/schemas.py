"""Request and response shapes of the users service."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from chirp.stack.text import NAME_PATTERN

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="null on the last page")


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[A-Za-z0-9_]{1,32}$", examples=["ada"])
    display_name: str = Field(
        min_length=1,
        max_length=50,
        pattern=NAME_PATTERN,
        description="something visible, and no control characters",
        examples=["Ada Lovelace"],
    )


class UserCreated(BaseModel):
    user_id: str
    username: str
    token: str = Field(description="Bearer token; shown once, stored only hashed")
    expires_at: datetime = Field(description="when the token stops working; rotate it before")


class TokenIssued(BaseModel):
    token: str = Field(description="Bearer token; shown once, stored only hashed")
    expires_at: datetime = Field(description="when the token stops working")


class UserPublic(BaseModel):
    user_id: str
    username: str
    display_name: str
    follower_count: int
    following_count: int
    created_at: datetime
