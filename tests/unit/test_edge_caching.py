from __future__ import annotations

import asyncio

import pytest

from chirp.stack.edge.caching import NO_STORE, CacheHeadersMiddleware, CachePolicy, etag, matches

POLICY = CachePolicy(public_s=5, trending_s=60)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/tweets/123", b"public, max-age=5"),
        ("/api/v1/users/9/tweets", b"public, max-age=5"),
        ("/api/v1/users/9", b"public, max-age=5"),
        ("/api/v1/search", b"public, max-age=5"),
        ("/api/v1/trending", b"public, max-age=60"),
        ("/api/v1/feed", None),
        ("/api/v1/notifications", None),
        ("/api/v1/users/9/followers", None),
    ],
)
def test_public_reads_and_personal_ones(path, expected):
    assert POLICY.header(path, authorised=False) == expected


def test_a_request_with_credentials_gets_a_private_answer():
    assert POLICY.header("/api/v1/tweets/1", authorised=True) == b"private, max-age=5"


def test_etag_follows_the_body_and_if_none_match_lists():
    tag = etag(b"one")
    assert tag != etag(b"two") and tag.startswith(b'"')
    assert matches(tag, tag)
    assert matches(b'"x", W/' + tag, tag)
    assert matches(b"*", tag)
    assert not matches(b'"other"', tag)
    assert not matches(None, tag)


def _call(app, method: str, path: str, headers: list[tuple[bytes, bytes]] = ()) -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    asyncio.run(CacheHeadersMiddleware(app, POLICY)(scope, receive, send))
    return sent


def _app(status: int, body: bytes):
    async def app(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


def test_a_matching_conditional_get_is_answered_304_without_body():
    first = _call(_app(200, b"tweet"), "GET", "/api/v1/tweets/1")
    headers = dict(first[0]["headers"])
    assert headers[b"cache-control"] == b"public, max-age=5"
    again = _call(
        _app(200, b"tweet"), "GET", "/api/v1/tweets/1", [(b"if-none-match", headers[b"etag"])]
    )
    assert again[0]["status"] == 304 and again[1]["body"] == b""


def test_errors_and_writes_are_not_stored():
    missing = _call(_app(404, b"{}"), "GET", "/api/v1/tweets/1")
    assert dict(missing[0]["headers"])[b"cache-control"] == NO_STORE
    posted = _call(_app(201, b"{}"), "POST", "/api/v1/tweets")
    assert dict(posted[0]["headers"])[b"cache-control"] == NO_STORE
