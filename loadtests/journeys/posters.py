"""Posters: a user writes a tweet (hashtags, mentions, sometimes a reply), posting it once.

Every post carries an Idempotency-Key; when the connection fails before an answer, the
post is retried once with the same key, which the API promises never doubles the tweet.
"""

from __future__ import annotations

import uuid
from typing import Any

from locust import task

from chirp.loadtests.content import compose_text
from chirp.loadtests.journeys.base import ChirpUser
from chirp.loadtests.population import Member
from chirp.scenarios.model import Journey


class Poster(ChirpUser):
    """POST /tweets as a Zipf-picked author (the most followed post most)."""

    abstract = True
    journey = Journey.post

    def author(self) -> Member:
        return self.ctx.authors.pick()

    @task
    def post_tweet(self) -> None:
        self.begin()
        self.post(self.author())

    def post(self, author: Member) -> dict[str, Any] | None:
        """Post one tweet as `author`; its id joins the pool others like and reply to."""
        ctx = self.ctx
        body: dict[str, Any] = {
            "text": compose_text(
                ctx.rng,
                hashtag=ctx.hashtags.pick,
                mention=lambda: ctx.readers.pick().username,
                focus_hashtag=ctx.plan.focus_hashtag,
                focus_share=ctx.plan.focus_share,
            )
        }
        reply_to = ctx.tweets.sample(ctx.rng) if ctx.rng.random() < ctx.plan.reply_share else None
        if reply_to:
            body["reply_to"] = reply_to
        key = {"Idempotency-Key": uuid.uuid4().hex}
        tweet = self.call(
            "POST", "/tweets", "/tweets", actor=author, body=body, headers=key, ok=(201,)
        )
        if tweet is None and self.last_status == 0:  # no answer at all: retry, same key
            tweet = self.call(
                "POST", "/tweets", "/tweets", actor=author, body=body, headers=key, ok=(201,)
            )
        if tweet and "tweet_id" in tweet:
            ctx.tweets.remember([tweet["tweet_id"]])
        return tweet  # type: ignore[no-any-return]


class CelebrityPoster(Poster):
    """A celebrity posting repeatedly (the celebrity-storm scenario); fans read meanwhile."""

    abstract = True
    journey = Journey.celebrity_post

    def author(self) -> Member:
        return self.ctx.celebrities.pick()
