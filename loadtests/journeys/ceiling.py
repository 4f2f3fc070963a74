"""The ceiling: the same generator against a trivial endpoint through the same load balancer.

`chirp bench` divides every throughput by what this reaches, so a figure says how much of
the path's own limit the real work left (and a low ceiling exposes a weak generator).
"""

from __future__ import annotations

from locust import task

from loadtests.journeys.base import ChirpUser


class CeilingProbe(ChirpUser):
    """GET /healthz as fast as it answers."""

    abstract = True
    journey = "ceiling"

    @task
    def healthz(self) -> None:
        self.begin()
        self.call("GET", "/healthz", "/healthz", under_api=False)
