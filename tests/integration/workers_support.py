"""Helpers for the worker tests: resources on the test stack, users, tweets, and a
gateway app served by uvicorn in a thread on a free port (a real HTTP server)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from chirp.core.settings import Settings
from chirp.infra.provision.local.ports import free_port
from chirp.stack.gateway import auth
from chirp.stack.gateway.app import create_app
from chirp.stack.resources import Resources
from chirp.stack.tweets import store as tweets_store
from chirp.stack.tweets.model import Tweet
from chirp.stack.users import store as users_store


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    token: str


def make_user(res: Resources, prefix: str = "u", display_name: str | None = None) -> Account:
    """A real user in PostgreSQL with a unique name and a bearer token."""
    username = f"{prefix}{uuid.uuid4().hex[:10]}"
    token, token_hash = auth.issue_token()
    with res.pg.connection() as conn:
        row = users_store.create_user(
            conn, res.ids.next_id(), username, display_name or username.title(), token_hash
        )
    return Account(row.id, row.username, token)


def stored_tweet(res: Resources, author: int, text: str, hashtags: list[str]) -> Tweet:
    """A tweet put in DynamoDB (so it hydrates), made now."""
    tweet_id = res.ids.next_id()
    tweet = Tweet(
        tweet_id=tweet_id,
        user_id=author,
        text=text,
        created_at_ms=int(time.time() * 1000),
        hashtags=hashtags,
    )
    tweets_store.put_tweet(res.dynamo, tweet)
    return tweet


@contextmanager
def served(settings: Settings, services: list[str]) -> Iterator[str]:
    """A gateway app with `services`, served on a free port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, services=services),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test gateway did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
