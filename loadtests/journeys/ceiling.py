"""The ceiling: the same generator against a no-op API call through the same path.

`chirp bench` divides every throughput by what this reaches. `GET /api/v1/ping` passes the
load balancer, the gateway's middleware, the request span, the token lookup and the hourly
request limit like every authenticated call, and then does nothing, so a figure over it
says how much of the path's own limit the real work left.
"""

from __future__ import annotations

from locust import task

from chirp.loadtests.journeys.base import ChirpUser


class CeilingProbe(ChirpUser):
    """GET /api/v1/ping as a picked reader, with its own token."""

    abstract = True
    journey = "ceiling"

    @task
    def ping(self) -> None:
        self.begin()
        self.call("GET", "/ping", "/ping", actor=self.ctx.readers.pick())
