"""Refuse new tweets while the fan-out workers are too far behind.

The relay's lag monitor writes each consumer group's total lag to Redis every
few seconds (`lag:{group}`); gateways read it at most once a second. The
threshold is `CHIRP_BACKPRESSURE_LAG`, unless an operator (or a drill) set one
at run time with `set_threshold`: it lives in Redis beside the lag, is read
with it in the same round trip, and so reaches every gateway within a second,
without a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from chirp.stack.gateway.errors import ApiError

GROUP = "fanout"
THRESHOLD_KEY = "chirp:settings:backpressure_lag"
"""A run-time threshold that overrides the setting while it exists."""
_RETRY_AFTER_S = 5
_REFRESH_S = 1.0


@dataclass
class _Seen:
    """This process's last look at Redis."""

    at: float = float("-inf")
    lag: float = 0.0
    threshold: int | None = None


_seen = _Seen()


def lag_key(group: str) -> str:
    return f"lag:{group}"


def set_threshold(client: redis.Redis, lag: int | None) -> int | None:
    """Make `lag` the threshold of every gateway (None: back to the setting); returns the
    run-time threshold that was set before (None when there was none)."""
    before = (
        client.set(THRESHOLD_KEY, lag, get=True)
        if lag is not None
        else client.getdel(THRESHOLD_KEY)
    )
    return _as_int(before)


def threshold(client: redis.Redis) -> int | None:
    """The run-time threshold, or None when the setting applies."""
    return _as_int(client.get(THRESHOLD_KEY))


def check(client: redis.Redis, default_threshold: int) -> None:
    """429 with Retry-After while the fan-out lag is above the threshold."""
    now = time.monotonic()
    if now - _seen.at > _REFRESH_S:
        _seen.at = now
        try:
            lag, override = client.mget(lag_key(GROUP), THRESHOLD_KEY)
            _seen.lag, _seen.threshold = float(lag or 0), _as_int(override)
        except (redis.RedisError, ValueError):
            _seen.lag = 0.0  # no lag figure: do not refuse writes on a guess
    limit = default_threshold if _seen.threshold is None else _seen.threshold
    if _seen.lag > limit:
        raise ApiError(
            429,
            "backpressure",
            f"fan-out is {int(_seen.lag)} events behind; retry in {_RETRY_AFTER_S}s",
            {"Retry-After": str(_RETRY_AFTER_S)},
        )


def _as_int(value: object) -> int | None:
    try:
        return None if value is None else int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
