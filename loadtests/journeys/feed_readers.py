"""Feed readers: a user opens their home timeline, and now and then scrolls one page on."""

from __future__ import annotations

from locust import task

from chirp.loadtests.journeys.base import ChirpUser
from chirp.scenarios.model import Journey


class FeedReader(ChirpUser):
    """GET /feed?userId= as a Zipf-picked reader, with its own token."""

    abstract = True
    journey = Journey.feed

    @task
    def read_home_feed(self) -> None:
        self.begin()
        reader = self.ctx.readers.pick()
        query = {"userId": reader.user_id, "limit": 20}
        page = self.call("GET", "/feed", "/feed", actor=reader, query=query)
        if not page:
            return
        self.ctx.tweets.remember([t["tweet_id"] for t in page.get("items", [])])
        cursor = page.get("next_cursor")
        if cursor and self.ctx.rng.random() < self.ctx.plan.feed_scroll_share:
            self.call("GET", "/feed", "/feed", actor=reader, query={**query, "cursor": cursor})
