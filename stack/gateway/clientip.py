"""Who the caller is on the network, and the budgets kept per client address.

A gateway's peer is the load balancer, so HAProxy names the client in X-Forwarded-For
(its own header, replacing any the client sent). The header is believed only from a peer
in `trusted_proxies` (addresses or networks), and only its last entry: the one the
nearest proxy wrote.

Budgets count one kind of event per address in Redis, in a window of `ip_limit_window_s`
that starts at the address's first counted event: unknown or expired tokens presented
(`AUTH_FAILURES`), and sign-ups (`SIGNUPS`). When Redis cannot be reached every budget
is open: losing the limiter for a moment is better than refusing every caller.
"""

from __future__ import annotations

import functools
import ipaddress
import logging

import redis
from fastapi import Request
from redis.commands.core import Script

from chirp.core.settings import Settings
from chirp.stack.gateway.errors import ApiError

log = logging.getLogger(__name__)

AUTH_FAILURES = "auth_failures"
SIGNUPS = "signups"

# INCR and EXPIRE in one step, so a counter never lives without its expiry.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('TTL', KEYS[1])}
"""
_scripts: dict[int, Script] = {}


def client_address(request: Request, settings: Settings) -> str:
    """The caller's address: the peer's, or what a trusted proxy says the client's is."""
    peer = request.client.host if request.client else "unknown"
    if not is_trusted(peer, settings):
        return peer
    forwarded = request.headers.getlist("x-forwarded-for")
    if not forwarded:
        return peer
    named = forwarded[-1].split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(named))
    except ValueError:
        return peer


def is_trusted(peer: str, settings: Settings) -> bool:
    """Whether `peer` is one of `trusted_proxies` (an address or a network like 192.168.1.0/24)."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in _networks(settings.trusted_proxies))


@functools.lru_cache(maxsize=8)
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip()
    )


def key(kind: str, address: str) -> str:
    return f"iplimit:{kind}:{address}"


def refuse(client: redis.Redis, kind: str, address: str, limit: int, what: str) -> ApiError:
    """The 429 for an address past its budget, with the seconds until its window ends."""
    try:
        retry_after = max(1, int(client.ttl(key(kind, address))))
    except redis.RedisError:
        retry_after = 1
    return ApiError(
        429,
        "rate_limited",
        f"more than {limit} {what} from this address; retry in {retry_after}s",
        {"Retry-After": str(retry_after)},
    )


def count(client: redis.Redis, settings: Settings, kind: str, address: str) -> int:
    """Count one event for `address`; returns the count in its window (0 without Redis)."""
    if id(client) not in _scripts:
        _scripts[id(client)] = client.register_script(_COUNT)
    try:
        counted, _ = _scripts[id(client)](
            keys=[key(kind, address)], args=[settings.ip_limit_window_s]
        )
    except redis.RedisError as error:
        log.warning("per-address limiter unavailable: %s", error)
        return 0
    return int(counted)


def count_signup(client: redis.Redis, settings: Settings, address: str) -> None:
    """Count a sign-up from `address`; 429 past `ip_signups` in the window."""
    if count(client, settings, SIGNUPS, address) > settings.ip_signups:
        raise refuse(client, SIGNUPS, address, settings.ip_signups, "sign-ups")


def failures(client: redis.Redis, address: str) -> int:
    """Unknown or expired tokens `address` presented in its current window."""
    found = client.get(key(AUTH_FAILURES, address))
    return int(found) if found else 0
