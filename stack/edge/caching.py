"""Cache-Control and ETag on the API's answers, and 304 for a conditional GET that matches.

Public reads (a tweet, a profile, a user's timeline, trending, search) may be kept by the
edge and browsers for a few seconds; everything else, and any answer to a request with
credentials, is private and never stored by a shared cache.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chirp.core.settings import Settings

_PUBLIC = re.compile(
    r"^/api/v1/(tweets/\d+|users/\d+|users/\d+/tweets|search)$",
)
_TRENDING = "/api/v1/trending"
NO_STORE = b"private, no-store"


@dataclass(frozen=True)
class CachePolicy:
    public_s: int
    trending_s: int

    def header(self, path: str, authorised: bool) -> bytes | None:
        """Cache-Control for a 200 answer to GET `path`; None when it is not cacheable."""
        if path == _TRENDING:
            seconds = self.trending_s
        elif _PUBLIC.match(path):
            seconds = self.public_s
        else:
            return None
        scope = "private" if authorised else "public"
        return f"{scope}, max-age={seconds}".encode()


def cache_policy(settings: Settings) -> CachePolicy:
    return CachePolicy(public_s=settings.public_cache_s, trending_s=settings.trending_cache_s)


def etag(body: bytes) -> bytes:
    return b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'


def matches(if_none_match: bytes | None, tag: bytes) -> bool:
    if not if_none_match:
        return False
    candidates = [c.strip().removeprefix(b"W/") for c in if_none_match.split(b",")]
    return b"*" in candidates or tag in candidates


class CacheHeadersMiddleware:
    """Adds Cache-Control to every API answer; ETag and 304s to cacheable GETs."""

    def __init__(self, app: ASGIApp, policy: CachePolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        control = None
        if scope["method"] in ("GET", "HEAD"):
            control = self.policy.header(path, b"authorization" in headers)
        if control is None:
            await self.app(scope, receive, _with_header(send, NO_STORE))
            return
        await self._cacheable(scope, receive, send, control, headers.get(b"if-none-match"))

    async def _cacheable(
        self, scope: Scope, receive: Receive, send: Send, control: bytes, wanted: bytes | None
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, hold)
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"cache-control"]
        if start.get("status") != 200:
            await _send_whole(send, start["status"], [*headers, (b"cache-control", NO_STORE)], body)
            return
        tag = etag(body)
        headers += [(b"cache-control", control), (b"etag", tag)]
        if matches(wanted, tag):
            kept = [
                (k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")
            ]
            await _send_whole(send, 304, kept, b"")
            return
        await _send_whole(send, 200, headers, body)


def _with_header(send: Send, control: bytes) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
            message["headers"] = [*kept, (b"cache-control", control)]
        await send(message)

    return sending


async def _send_whole(send: Send, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
