"""Searchers: someone looks up a #hashtag or a word or two."""

from __future__ import annotations

from locust import task

from chirp.loadtests.content import search_query
from chirp.loadtests.journeys.base import ChirpUser
from chirp.scenarios.model import Journey


class Searcher(ChirpUser):
    """GET /search?q= for hashtags (Zipf-popular) and words tweets are made of."""

    abstract = True
    journey = Journey.search

    @task
    def search(self) -> None:
        self.begin()
        q = search_query(self.ctx.rng, self.ctx.hashtags.pick)
        page = self.call("GET", "/search", "/search", query={"q": q, "limit": 20})
        if page:
            self.ctx.tweets.remember(
                [t["tweet_id"] for t in page.get("items", []) if "tweet_id" in t]
            )
