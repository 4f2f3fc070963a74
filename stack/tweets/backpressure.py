"""Refuse new tweets while the fan-out workers are too far behind.

The relay's lag monitor writes each consumer group's total lag to Redis every
second (`lag:{group}`); gateways read it at most once a second.
"""

from __future__ import annotations

import time

import redis

from stack.gateway.errors import ApiError

GROUP = "fanout"
_RETRY_AFTER_S = 5
_REFRESH_S = 1.0
_seen: dict[str, float] = {"at": 0.0, "lag": 0.0}


def lag_key(group: str) -> str:
    return f"lag:{group}"


def check(client: redis.Redis, threshold: int) -> None:
    """429 with Retry-After while the fan-out lag is above `threshold`."""
    now = time.monotonic()
    if now - _seen["at"] > _REFRESH_S:
        _seen["at"] = now
        try:
            _seen["lag"] = float(client.get(lag_key(GROUP)) or 0)
        except (redis.RedisError, ValueError):
            _seen["lag"] = 0.0  # no lag figure: do not refuse writes on a guess
    if _seen["lag"] > threshold:
        raise ApiError(
            429,
            "backpressure",
            f"fan-out is {int(_seen['lag'])} events behind; retry in {_RETRY_AFTER_S}s",
            {"Retry-After": str(_RETRY_AFTER_S)},
        )
