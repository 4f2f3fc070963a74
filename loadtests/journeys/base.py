"""What every journey's virtual user shares: pacing, picking who acts, checking answers.

Each request goes through `call()`, which checks the answer with `catch_response`:
an expected status is a success, a 429 is a `RateLimited` failure (counted apart from
errors: it is the stack's rate limit or backpressure doing its job), anything else an
error. Requests are named by route template ("/feed", "/tweets/{id}/like") so every
endpoint's figures group together whatever the ids.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser
from locust.exception import StopUser

from chirp.loadtests.context import RunContext, current
from chirp.loadtests.pacing import UserSchedule
from chirp.loadtests.population import Member
from chirp.loadtests.recorder import RateLimited, UnexpectedStatus

API = "/api/v1"


class ChirpUser(FastHttpUser):
    """A virtual user running one journey; subclasses add the `@task`s."""

    abstract = True
    journey: ClassVar[str]
    # Set per run from the plan (`loadtests.journeys.user_classes`).
    fraction: ClassVar[float] = 0.0
    network_timeout = 10.0
    connection_timeout = 5.0

    def on_start(self) -> None:
        self.ctx: RunContext = current()
        self._schedule: UserSchedule | None = None
        if self.ctx.open_model:
            self._schedule = self.ctx.new_schedule(self.ctx.user_fraction or self.fraction)
        self._late_ms = 0.0
        self.last_status: int | None = None

    def wait_time(self) -> float:
        if self._schedule is not None:
            return 0.0  # `begin()` sleeps until the next intended start instead
        low, high = self.ctx.plan.think_time_s
        return self.ctx.rng.uniform(low, high)

    def begin(self) -> None:
        """Start one operation: in the open model, at its intended time, noting how late."""
        if self._schedule is None:
            self._late_ms = 0.0
            return
        intended = self._schedule.take()
        if intended is None:  # the rate profile is over; this user has nothing left to do
            raise StopUser
        wait = intended - time.perf_counter()
        if wait > 0:
            gevent.sleep(wait)
        self._late_ms = max(0.0, (time.perf_counter() - intended) * 1000)
        self.ctx.schedule_stats.started(self._late_ms)

    def call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        actor: Member | None = None,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        ok: Iterable[int] = (200,),
        under_api: bool = True,
    ) -> Any:
        """One request, checked; returns the parsed JSON body on success, else None.

        Only the first request after `begin()` carries the operation's lateness; a
        follow-up request starts when the previous one ends, as intended.
        """
        sent = dict(headers or {})
        if actor is not None:
            sent["Authorization"] = f"Bearer {actor.token}"
        url = (API if under_api else "") + path + (f"?{urlencode(query)}" if query else "")
        payload = {"json": body} if data is None else {"data": data}
        late_ms, self._late_ms = self._late_ms, 0.0
        expected = set(ok)
        with self.client.request(
            method,
            url,
            name=name,
            headers=sent,
            **payload,
            catch_response=True,
            context={"late_ms": late_ms},
        ) as answer:
            status = self.last_status = answer.status_code
            if status in expected:
                answer.success()
                return _json(answer) if status != 204 else {}
            if status == 429:
                answer.failure(RateLimited(f"429 {answer.headers.get('Retry-After', '')}".strip()))
            elif status == 0:
                answer.failure(answer.error or UnexpectedStatus("no answer"))
            else:
                answer.failure(UnexpectedStatus(f"HTTP {status}"))
            return None


def _json(answer: Any) -> Any:
    try:
        return answer.json()
    except ValueError:
        return {}
