"""Locust event listeners shared by the master and worker processes (no Locust import)."""

from __future__ import annotations

import time
from typing import Any

from chirp.loadtests.context import current
from chirp.loadtests.recorder import Outcome, RateLimited, UnexpectedStatus


def outcome_of(exception: BaseException | None) -> tuple[Outcome, str | None]:
    """How a request ended, and for errors a short kind (`HTTP 500`, `ConnectionRefusedError`)."""
    if exception is None:
        return Outcome.ok, None
    if isinstance(exception, RateLimited):
        return Outcome.rate_limited, None
    if isinstance(exception, UnexpectedStatus) or type(exception).__name__ == "CatchResponseError":
        return Outcome.error, str(exception)[:80]
    return Outcome.error, type(exception).__name__


def on_request(
    request_type: str,
    name: str,
    response_time: float | None,
    exception: BaseException | None = None,
    context: dict[str, Any] | None = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    """Locust's `request` event: record the request in this process's recorder."""
    outcome, kind = outcome_of(exception)
    current().recorder.record(
        f"{request_type} {name}",
        outcome,
        float(response_time or 0.0),
        late_ms=float((context or {}).get("late_ms", 0.0)),
        when=start_time or time.time(),
        error_kind=kind,
    )


def stats_message(final: bool) -> dict[str, Any]:
    """What a worker sends the master: this phase's news since the last message."""
    ctx = current()
    return {
        "phase": ctx.phase,
        "final": final,
        "recorder": ctx.recorder.drain(),
        "schedule": ctx.schedule_stats.drain(),
    }
