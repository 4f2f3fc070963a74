"""A small client for the chirp API through the load balancer, for end-to-end tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


@dataclass
class User:
    user_id: str
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def sign_up(self, prefix: str = "u") -> User:
        username = f"{prefix}{uuid.uuid4().hex[:10]}"
        answer = self.http.post(
            "/api/v1/users", json={"username": username, "display_name": prefix}
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        return User(body["user_id"], body["username"], body["token"])

    def follow(self, follower: User, followee: User) -> None:
        answer = self.http.put(
            f"/api/v1/users/{follower.user_id}/following/{followee.user_id}", headers=follower.auth
        )
        assert answer.status_code == 204, answer.text

    def post(self, author: User, text: str, **extra: Any) -> dict[str, Any]:
        answer = self.http.post("/api/v1/tweets", json={"text": text, **extra}, headers=author.auth)
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]

    def feed(self, reader: User, **params: Any) -> httpx.Response:
        return self.http.get(
            "/api/v1/feed", params={"userId": reader.user_id, **params}, headers=reader.auth
        )

    def feed_ids(self, reader: User) -> list[str]:
        answer = self.feed(reader, limit=100)
        assert answer.status_code == 200, answer.text
        return [item["tweet_id"] for item in answer.json()["items"]]


def eventually(check: Callable[[], T], *, timeout_s: float = 30, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail after a generous deadline."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout_s}s (last: {last!r})")
