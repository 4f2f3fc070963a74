"""Engagers: a user likes and retweets what they saw, and now and then deletes their own tweet."""

from __future__ import annotations

from locust import task

from chirp.loadtests.journeys.base import ChirpUser
from chirp.loadtests.population import Member
from chirp.scenarios.model import Journey

# A tweet seen a moment ago may be gone since (its author deleted it): 404 is a fair answer.
GONE_IS_FINE = (200, 404)


class Engager(ChirpUser):
    """POST /tweets/{id}/like and /retweet on tweets seen by the load; post-then-delete."""

    abstract = True
    journey = Journey.engage

    @task(5)
    def like(self) -> None:
        self._engage("like")

    @task(2)
    def retweet(self) -> None:
        self._engage("retweet")

    def _engage(self, action: str) -> None:
        """Like or retweet a tweet the acting reader has seen; a deleted one is fine."""
        self.begin()
        actor = self.ctx.readers.pick()
        tweet_id = self._seen_tweet(actor)
        if tweet_id:
            self.call(
                "POST",
                f"/tweets/{tweet_id}/{action}",
                f"/tweets/{{id}}/{action}",
                actor=actor,
                ok=GONE_IS_FINE,
            )

    @task(1)
    def delete_own(self) -> None:
        self.begin()
        actor = self.ctx.authors.pick()
        tweet = self.call(
            "POST",
            "/tweets",
            "/tweets",
            actor=actor,
            body={"text": "typo, deleting this"},
            ok=(201,),
        )
        if tweet and "tweet_id" in tweet:
            self.call(
                "DELETE", f"/tweets/{tweet['tweet_id']}", "/tweets/{id}", actor=actor, ok=(204,)
            )

    def _seen_tweet(self, actor: Member) -> str | None:
        """A tweet from the pool, or, before anything was seen, one from the actor's feed."""
        tweet_id = self.ctx.tweets.sample(self.ctx.rng)
        if tweet_id:
            return tweet_id
        page = self.call("GET", "/feed", "/feed", actor=actor, query={"userId": actor.user_id})
        items = (page or {}).get("items", [])
        self.ctx.tweets.remember([t["tweet_id"] for t in items])
        return items[0]["tweet_id"] if items else None
