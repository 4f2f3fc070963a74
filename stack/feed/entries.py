"""A timeline entry and its `"{tweet_id}:{author_id}"` member form in the feed sorted sets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chirp.stack.tweets.model import Tweet


@dataclass(frozen=True)
class Entry:
    """One tweet in a timeline; for a retweet, also the original it shows."""

    tweet_id: int
    author_id: int
    retweet_of: int | None = None
    original_author_id: int | None = None

    @classmethod
    def of(cls, tweet: Tweet) -> Entry:
        return cls(tweet.tweet_id, tweet.user_id, tweet.retweet_of, tweet.original_author_id)

    @property
    def member(self) -> str:
        return encode_member(self.tweet_id, self.author_id)

    @property
    def key(self) -> tuple[int, int]:
        """(author id, tweet id), as hydration takes it."""
        return (self.author_id, self.tweet_id)

    @property
    def original_member(self) -> str | None:
        if self.retweet_of is None or self.original_author_id is None:
            return None
        return encode_member(self.retweet_of, self.original_author_id)


def encode_member(tweet_id: int, author_id: int) -> str:
    return f"{tweet_id}:{author_id}"


def encode_full(entry: Entry) -> str:
    """The member form of an author's recent list: a retweet keeps its original, so a
    feed rebuilt from these lists follows the same retweet rules as one pushed to."""
    if entry.retweet_of is None or entry.original_author_id is None:
        return entry.member
    return f"{entry.member}:{entry.retweet_of}:{entry.original_author_id}"


def decode_member(member: str) -> Entry | None:
    """The entry a member stands for; None for the `ready` marker or anything malformed."""
    tweet, sep, author = member.partition(":")
    if not sep or not tweet.isdecimal() or not author.isdecimal():
        return None
    return Entry(int(tweet), int(author))


def entries_below(members: Iterable[str], before: int | None) -> list[Entry]:
    """The entries of these members older than `before` (all when None), markers skipped."""
    found = []
    for member in members:
        entry = decode_member(member)
        if entry is not None and (before is None or entry.tweet_id < before):
            found.append(entry)
    return found
