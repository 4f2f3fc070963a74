"""What the load writes and looks for: tweet texts, search queries, tweets seen so far."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable

# Words tweets are made of and searches look for, so searches find something.
# fmt: off
WORDS = (
    "coffee", "morning", "release", "deploy", "latency", "cache", "kafka", "redis", "shard",
    "replica", "outage", "rollback", "weekend", "football", "concert", "rain", "sunset",
    "launch", "beta", "feedback", "bug", "patch", "review", "design", "lunch", "train",
    "delay", "meetup", "keynote", "demo", "graph", "queue", "backlog", "pager", "incident",
    "postmortem", "feature", "roadmap", "hiring", "team", "remote", "office", "garden",
    "recipe", "movie", "series", "music", "album", "podcast", "book", "chapter", "marathon",
    "bike", "climbing", "travel", "airport", "hotel", "beach",
)
# fmt: on
DEFAULT_HASHTAGS = ("chirp", "news", "tech", "music", "sports", "travel", "food", "dev")
MAX_CHARS = 280


def compose_text(
    rng: random.Random,
    *,
    hashtag: Callable[[], str],
    mention: Callable[[], str] | None = None,
    focus_hashtag: str | None = None,
    focus_share: float = 0.0,
) -> str:
    """A plausible tweet: 5 to 16 words, usually a hashtag, sometimes a mention."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(5, 16))]
    tags: list[str] = []
    if focus_hashtag and rng.random() < focus_share:
        tags.append(focus_hashtag)
    elif rng.random() < 0.7:
        tags.append(hashtag())
    if rng.random() < 0.3:
        tags.append(hashtag())
    text = " ".join(words + [f"#{t}" for t in dict.fromkeys(tags)])
    if mention is not None and rng.random() < 0.25:
        text += f" @{mention()}"
    return text[:MAX_CHARS]


def search_query(rng: random.Random, hashtag: Callable[[], str]) -> str:
    """Half the searches look for a hashtag, half for one or two words."""
    if rng.random() < 0.5:
        return f"#{hashtag()}"
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2)))


class TweetPool:
    """The most recent tweets this generator saw, to reply to, like and retweet."""

    def __init__(self, capacity: int = 5_000) -> None:
        self._tweets: deque[str] = deque(maxlen=capacity)

    def __len__(self) -> int:
        return len(self._tweets)

    def remember(self, tweet_ids: list[str]) -> None:
        self._tweets.extend(tweet_ids)

    def sample(self, rng: random.Random) -> str | None:
        if not self._tweets:
            return None
        return self._tweets[rng.randrange(len(self._tweets))]
