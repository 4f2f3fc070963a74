"""User-timeline readers: someone visits a profile (famous ones more often) and reads it."""

from __future__ import annotations

from locust import task

from chirp.loadtests.journeys.base import ChirpUser
from chirp.scenarios.model import Journey


class TimelineReader(ChirpUser):
    """GET /users/{id}/tweets of a profile picked Zipf by follower count."""

    abstract = True
    journey = Journey.timeline

    @task
    def read_user_timeline(self) -> None:
        self.begin()
        profile = self.ctx.profiles.pick()
        page = self.call(
            "GET", f"/users/{profile.user_id}/tweets", "/users/{id}/tweets", query={"limit": 20}
        )
        if page:
            self.ctx.tweets.remember([t["tweet_id"] for t in page.get("items", [])])
