"""Response shapes of the notifications service."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from chirp.stack.notify.inbox import Kind


class NotificationPublic(BaseModel):
    id: str = Field(description="stable: the same notification always has the same id")
    kind: Kind
    actor_id: str = Field(description="who mentioned, followed, liked or retweeted")
    tweet_id: str | None = Field(description="the tweet concerned; null for a follow")
    created_at: datetime
