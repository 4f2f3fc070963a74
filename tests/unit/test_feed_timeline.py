"""The timeline store's pure parts: member format and time to live."""

from __future__ import annotations

import pytest

from chirp.stack.feed.entries import Entry, decode_member, encode_member
from chirp.stack.feed.timeline import READY, feed_ttl_s
from chirp.stack.tweets.model import Tweet


def test_member_round_trip():
    member = encode_member(7_300_000_000_000_000_123, 42)
    assert member == "7300000000000000123:42"
    assert decode_member(member) == Entry(7_300_000_000_000_000_123, 42)


@pytest.mark.parametrize("member", [READY, "", "12", "12:", ":5", "a:b", "1:2:3", "-1:2"])
def test_decode_refuses_the_marker_and_malformed_members(member):
    assert decode_member(member) is None


def test_entry_of_a_retweet_knows_its_original_member():
    retweet = Tweet(
        tweet_id=900, user_id=3, text="", created_at_ms=0, retweet_of=800, original_author_id=4
    )
    entry = Entry.of(retweet)
    assert entry.member == "900:3"
    assert entry.key == (3, 900)
    assert entry.original_member == "800:4"


def test_entry_of_a_tweet_has_no_original():
    assert Entry(5, 6).original_member is None


def test_feeds_expire_before_the_active_window_closes():
    assert feed_ttl_s(7) == 7 * 86_400 - 3_600
    assert feed_ttl_s(0) == 3_600  # never zero, which Redis would take as "delete now"
