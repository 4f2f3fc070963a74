"""Response shapes of the trending service."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TrendingItem(BaseModel):
    hashtag: str = Field(description="without '#', lower-cased")
    score: float


class Trending(BaseModel):
    items: list[TrendingItem] = Field(description="highest score first")
    scope: str
