"""Whom a gateway believes about the caller's address."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from chirp.core.settings import Settings
from chirp.stack.gateway.clientip import client_address


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 40000), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "seen"),
    [
        ("127.0.0.1", (), "127.0.0.1"),
        ("127.0.0.1", ("10.1.1.1",), "10.1.1.1"),
        ("127.0.0.1", ("6.6.6.6, 10.1.1.1",), "10.1.1.1"),  # the last hop wrote the last one
        ("127.0.0.1", ("6.6.6.6", "10.1.1.1"), "10.1.1.1"),
        ("127.0.0.1", ("not-an-address",), "127.0.0.1"),
        ("127.0.0.5", ("10.1.1.1",), "127.0.0.5"),  # not a trusted proxy: header ignored
        ("172.18.0.4", ("10.1.1.1",), "10.1.1.1"),  # inside a trusted network
        ("::1", ("10.1.1.1",), "::1"),
    ],
)
def test_forwarded_for_counts_only_from_a_trusted_proxy(peer, forwarded, seen):
    settings = Settings(trusted_proxies="127.0.0.1, 172.16.0.0/12")
    assert client_address(_request(peer, *forwarded), settings) == seen


def test_an_invalid_trusted_proxy_is_refused_at_start():
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies="127.0.0.1,nonsense")
