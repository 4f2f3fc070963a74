"""A synthetic Twitter-like population, generated in memory (pure, seeded, numpy).

Followers follow a power law: who gets followed is drawn with Zipf weights over
a popularity rank, so a few users gather most follows, and the `celebrities`
most popular users are followed by `celebrity_share` of everyone on top.
Out-degrees are skewed too (lognormal around the mean). Who posts is
Zipf-skewed; tweets carry Zipf-popular hashtags and some mentions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chirp.stack.ids import EPOCH_MS as _EPOCH_MS
from chirp.stack.ids import NODE_BITS, SEQUENCE_BITS

SEED_NODE = 1023
"""The id node of seeded users and tweets; live processes use 0..999."""

_WORDS = [
    "coffee",
    "morning",
    "deploy",
    "kafka",
    "redis",
    "latency",
    "outage",
    "shipping",
    "review",
    "design",
    "feed",
    "cache",
    "weekend",
    "launch",
    "music",
    "match",
    "rain",
    "sunset",
    "code",
    "paper",
    "lunch",
    "travel",
]


@dataclass(frozen=True)
class GraphSpec:
    users: int = 1_000
    avg_follows: float = 20.0
    celebrities: int = 3
    celebrity_share: float = 0.6
    tweets: int = 5_000
    hashtags: int = 200
    days: float = 7.0
    dormant_share: float = 0.2
    seed: int = 42

    def validate(self) -> None:
        if self.users < 2:
            raise ValueError("--users must be at least 2")
        if not 0 < self.avg_follows < self.users:
            raise ValueError("--avg-follows must be above 0 and below --users")
        if not 0 <= self.celebrities < self.users:
            raise ValueError("--celebrities must be 0 or more and below --users")
        if self.tweets < 0:
            raise ValueError("--tweets must be 0 or more")


@dataclass
class SeedGraph:
    user_ids: np.ndarray  # int64, by index
    follower: np.ndarray  # edge list: follower index
    followee: np.ndarray  # edge list: followee index
    celebrities: np.ndarray  # indices
    dormant: np.ndarray  # bool by index: last active long ago
    tweet_ids: np.ndarray  # int64, ascending
    tweet_author: np.ndarray  # index
    tweet_ms: np.ndarray  # int64 Unix ms
    tweet_text: list[str]
    tweet_hashtags: list[list[str]]
    tweet_mentions: list[list[str]]
    hashtags: list[str]

    def username(self, index: int) -> str:
        return f"user{index:07d}"

    def follower_counts(self) -> np.ndarray:
        return np.bincount(self.followee, minlength=len(self.user_ids))

    def following_counts(self) -> np.ndarray:
        return np.bincount(self.follower, minlength=len(self.user_ids))


def generate(spec: GraphSpec, now_ms: int) -> SeedGraph:
    spec.validate()
    rng = np.random.default_rng(spec.seed)
    n = spec.users
    celebrities = np.arange(spec.celebrities)
    follower, followee = _follows(rng, spec, _zipf_weights(n, 1.1), celebrities)
    tweet_author = rng.choice(n, size=spec.tweets, p=_zipf_weights(n, 0.8)[rng.permutation(n)])
    tweet_ms = np.sort(rng.integers(now_ms - int(spec.days * 86_400_000), now_ms, spec.tweets))
    tweet_ids = _ids(tweet_ms)
    hashtags = [f"topic{i}" for i in range(spec.hashtags)]
    texts, tags, mentions = _texts(rng, spec, hashtags)
    return SeedGraph(
        user_ids=_ids(_user_ms(now_ms - int(spec.days * 86_400_000) - n, n)),
        follower=follower,
        followee=followee,
        celebrities=celebrities,
        dormant=rng.random(n) < spec.dormant_share,
        tweet_ids=tweet_ids,
        tweet_author=tweet_author,
        tweet_ms=tweet_ms,
        tweet_text=texts,
        tweet_hashtags=tags,
        tweet_mentions=mentions,
        hashtags=hashtags,
    )


def _user_ms(start_ms: int, n: int) -> np.ndarray:
    """Sign-up times before any seeded tweet, 4,096 users per millisecond at most."""
    return start_ms + np.arange(n, dtype=np.int64) // (1 << SEQUENCE_BITS)


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def _follows(
    rng: np.random.Generator, spec: GraphSpec, popularity: np.ndarray, celebrities: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`users * avg_follows` distinct follows: celebrity fans plus Zipf-chosen follows,
    drawn in rounds until enough distinct pairs exist (popular targets repeat often)."""
    n, target = spec.users, round(spec.users * spec.avg_follows)
    fans = [
        np.setdiff1d(np.flatnonzero(rng.random(n) < spec.celebrity_share), [c]) for c in celebrities
    ]
    packed = np.unique(
        np.concatenate(
            [
                np.empty(0, dtype=np.int64),
                *(f.astype(np.int64) * n + c for f, c in zip(fans, celebrities, strict=True)),
            ]
        )
    )
    activity = rng.lognormal(mean=0.0, sigma=1.0, size=n)
    activity /= activity.sum()
    while len(packed) < target:
        missing = target - len(packed)
        draws = max(int(missing * 1.3), 64)
        follower = rng.choice(n, size=draws, p=activity).astype(np.int64)
        followee = rng.choice(n, size=draws, p=popularity).astype(np.int64)
        keep = follower != followee
        fresh = np.setdiff1d(np.unique(follower[keep] * n + followee[keep]), packed)
        packed = np.union1d(packed, rng.permutation(fresh)[:missing])
    return packed // n, packed % n


def _ids(ms: np.ndarray) -> np.ndarray:
    """Snowflake ids at the given times from the seed node, unique by a running sequence
    (callers keep fewer than 4,096 ids in any one millisecond)."""
    shift = NODE_BITS + SEQUENCE_BITS
    base = (ms.astype(np.int64) - _EPOCH_MS) << shift
    sequence = np.arange(len(ms), dtype=np.int64) % (1 << SEQUENCE_BITS)
    ids = base | (SEED_NODE << SEQUENCE_BITS) | sequence
    if len(np.unique(ids)) != len(ids):
        raise ValueError("too many seeded ids in one millisecond")
    return ids


def _texts(
    rng: np.random.Generator, spec: GraphSpec, hashtags: list[str]
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    tag_weights = _zipf_weights(len(hashtags), 1.0)
    texts, tags, mentions = [], [], []
    words = rng.choice(len(_WORDS), size=(spec.tweets, 4))
    tag_picks = rng.choice(len(hashtags), size=spec.tweets, p=tag_weights)
    has_tag = rng.random(spec.tweets) < 0.6
    mention_picks = rng.integers(0, spec.users, size=spec.tweets)
    has_mention = rng.random(spec.tweets) < 0.15
    for i in range(spec.tweets):
        body = " ".join(_WORDS[w] for w in words[i])
        tweet_tags = [hashtags[tag_picks[i]]] if has_tag[i] else []
        tweet_mentions = [f"user{mention_picks[i]:07d}"] if has_mention[i] else []
        suffix = "".join(f" #{t}" for t in tweet_tags) + "".join(f" @{m}" for m in tweet_mentions)
        texts.append(body + suffix)
        tags.append(tweet_tags)
        mentions.append(tweet_mentions)
    return texts, tags, mentions
