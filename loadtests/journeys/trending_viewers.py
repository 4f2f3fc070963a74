"""Trending viewers: someone glances at what is trending."""

from __future__ import annotations

from locust import task

from chirp.loadtests.journeys.base import ChirpUser
from chirp.scenarios.model import Journey


class TrendingViewer(ChirpUser):
    """GET /trending?scope=global&limit=10."""

    abstract = True
    journey = Journey.trending

    @task
    def view_trending(self) -> None:
        self.begin()
        self.call("GET", "/trending", "/trending", query={"scope": "global", "limit": 10})
