"""Tier choice and event-to-entry mapping of the fan-out."""

from __future__ import annotations

import pytest

from chirp.core.settings import Settings
from chirp.stack.events import RetweetCreated, TweetCreated
from chirp.stack.feed.entries import Entry
from chirp.stack.feed.fanout import Tier, choose_tier, entry_of

SETTINGS = Settings(push_threshold=1_000, celebrity_threshold=100_000)


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, Tier.PUSH_ALL),
        (999, Tier.PUSH_ALL),
        (1_000, Tier.PUSH_ACTIVE),
        (100_000, Tier.PUSH_ACTIVE),
        (100_001, Tier.PULL),
        (50_000_000, Tier.PULL),
    ],
)
def test_tier_by_follower_count(followers, tier):
    assert choose_tier(followers, SETTINGS) is tier


def test_tiers_follow_the_settings():
    small = SETTINGS.model_copy(update={"push_threshold": 3, "celebrity_threshold": 5})
    assert [choose_tier(n, small) for n in (2, 3, 5, 6)] == [
        Tier.PUSH_ALL,
        Tier.PUSH_ACTIVE,
        Tier.PUSH_ACTIVE,
        Tier.PULL,
    ]


def test_entry_of_a_tweet_and_of_a_retweet():
    tweet = TweetCreated(at_ms=1, tweet_id=10, user_id=2, text="hi")
    retweet = RetweetCreated(at_ms=1, tweet_id=11, user_id=3, retweet_of=10, original_author_id=2)
    assert entry_of(tweet) == Entry(10, 2)
    assert entry_of(retweet) == Entry(11, 3, retweet_of=10, original_author_id=2)
