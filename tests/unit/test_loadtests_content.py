"""What posters write and searchers ask, and how request outcomes are classified."""

from __future__ import annotations

import random

from chirp.loadtests.content import MAX_CHARS, WORDS, TweetPool, compose_text, search_query
from chirp.loadtests.hooks import outcome_of
from chirp.loadtests.recorder import Outcome, RateLimited, UnexpectedStatus


def test_tweets_fit_and_carry_hashtags_and_mentions():
    rng = random.Random(1)
    texts = [compose_text(rng, hashtag=lambda: "chirp", mention=lambda: "ada") for _ in range(300)]
    assert all(1 <= len(t) <= MAX_CHARS for t in texts)
    assert any("#chirp" in t for t in texts) and any("@ada" in t for t in texts)
    assert all(t.split()[0] in WORDS for t in texts)


def test_a_focus_hashtag_takes_its_share():
    rng = random.Random(2)
    texts = [
        compose_text(rng, hashtag=lambda: "other", focus_hashtag="spike", focus_share=1.0)
        for _ in range(50)
    ]
    assert all("#spike" in t for t in texts)


def test_searches_are_hashtags_or_words_tweets_use():
    rng = random.Random(3)
    queries = [search_query(rng, lambda: "news") for _ in range(100)]
    assert "#news" in queries
    assert all(q == "#news" or set(q.split()) <= set(WORDS) for q in queries)


def test_the_tweet_pool_keeps_the_latest():
    pool = TweetPool(capacity=3)
    assert pool.sample(random.Random()) is None
    pool.remember(["1", "2", "3", "4"])
    assert len(pool) == 3 and pool.sample(random.Random()) in {"2", "3", "4"}


def test_outcomes_keep_429s_apart_from_errors():
    assert outcome_of(None) == (Outcome.ok, None)
    assert outcome_of(RateLimited("429 3")) == (Outcome.rate_limited, None)
    assert outcome_of(UnexpectedStatus("HTTP 500")) == (Outcome.error, "HTTP 500")
    assert outcome_of(ConnectionRefusedError(111, "refused")) == (
        Outcome.error,
        "ConnectionRefusedError",
    )
