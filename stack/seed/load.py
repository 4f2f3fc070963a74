"""Bulk-load a generated population into the running stack's stores."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from chirp.stack import clients, events
from chirp.stack.feed.entries import Entry
from chirp.stack.feed.fanout import Tier, choose_tier
from chirp.stack.feed.timeline import RECENT_MAX, Timelines
from chirp.stack.relay.mapping import created_event
from chirp.stack.resources import Resources
from chirp.stack.schema import indices, tables
from chirp.stack.search.indexer import actions_for, write
from chirp.stack.seed.graph import GraphSpec, SeedGraph, generate
from chirp.stack.tweets.model import SEEDED, Tweet

Progress = Callable[[str, int, int], None]
"""Called with (phase, done, total)."""

_DYNAMO_BATCH = 25
_DYNAMO_THREADS = 8
_SEARCH_CHUNK = 2_000


@dataclass
class SeedReport:
    users: int = 0
    follows: int = 0
    tweets: int = 0
    celebrities_pulled: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    feed_writes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    population_file: str = ""

    @property
    def total_s(self) -> float:
        return round(sum(self.seconds.values()), 2)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "total_s": self.total_s}


def seed(res: Resources, spec: GraphSpec, *, reset: bool, progress: Progress) -> SeedReport:
    """Generate a population and load it; `reset` first empties every store."""
    report = SeedReport()
    timer = _Timer(report)
    if not reset:
        _refuse_if_seeded(res)
    if reset:
        with timer("reset"):
            _reset(res, progress)
    with timer("generate"):
        graph = generate(spec, now_ms=int(time.time() * 1000))
    tokens = [secrets.token_urlsafe(24) for _ in range(len(graph.user_ids))]
    with ThreadPoolExecutor(max_workers=1) as background, timer("load"):
        tweets_done = background.submit(_load_tweets, res, graph, progress)
        with timer("postgres"):
            _load_users(res, graph, tokens, progress)
        with timer("feeds"):
            _load_feeds(res, graph, report, progress)
        with timer("search"):
            _load_search(res, graph, progress)
        tweets_done.result()
    report.users, report.follows, report.tweets = (
        len(graph.user_ids),
        len(graph.follower),
        len(graph.tweet_ids),
    )
    report.population_file = str(_write_population(res, graph, tokens))
    return report


class AlreadySeeded(Exception):
    pass


def _refuse_if_seeded(res: Resources) -> None:
    with res.pg.connection() as conn:
        row = conn.execute("SELECT count(*) FROM users").fetchone()
    if row and row[0]:
        raise AlreadySeeded(
            f"the stack already holds {row[0]:,} users; add --reset to replace them"
        )


class _Timer:
    def __init__(self, report: SeedReport) -> None:
        self.report = report

    def __call__(self, phase: str) -> _Phase:
        return _Phase(self.report, phase)


class _Phase:
    def __init__(self, report: SeedReport, phase: str) -> None:
        self.report, self.phase = report, phase

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self.report.seconds[self.phase] = round(time.perf_counter() - self.started, 2)


def _reset(res: Resources, progress: Progress) -> None:
    """Empty every store. Tables and indices are dropped and made again: far faster than
    deleting item by item, and it makes no delete events."""
    progress("reset", 0, 4)
    with res.pg.connection() as conn:
        conn.execute("TRUNCATE users, follows, outbox, relay_checkpoints CASCADE")
    progress("reset", 1, 4)
    for name in tables.DATA_TABLES:
        res.dynamo.delete_table(TableName=name)
        res.dynamo.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    tables.create_tables(res.dynamo)  # makes only the missing ones
    progress("reset", 2, 4)
    res.redis.flushdb()
    Timelines.of(res).mark_whole()  # the seed builds every feed itself: nothing to warm up
    progress("reset", 3, 4)
    search = clients.opensearch_client(res.settings, timeout=60)
    for name in indices.INDEX_SPECS:
        search.indices.delete(index=name, ignore_unavailable=True)
    indices.create_indices(search)
    progress("reset", 4, 4)


def _load_users(res: Resources, graph: SeedGraph, tokens: list[str], progress: Progress) -> None:
    n = len(graph.user_ids)
    followers, following = graph.follower_counts(), graph.following_counts()
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=30)
    created = now - timedelta(days=8)
    with res.pg.connection() as conn, conn.transaction(), conn.cursor() as cursor:
        with cursor.copy(
            "COPY users (id, username, display_name, token_hash, follower_count, following_count,"
            " last_active_at, created_at) FROM STDIN"
        ) as copy:
            for i in range(n):
                copy.write_row(
                    (
                        int(graph.user_ids[i]),
                        graph.username(i),
                        f"User {i}",
                        hashlib.sha256(tokens[i].encode()).hexdigest(),
                        int(followers[i]),
                        int(following[i]),
                        long_ago if graph.dormant[i] else now,
                        created,
                    )
                )
        progress("users", n, n)
        with cursor.copy("COPY follows (follower_id, followee_id) FROM STDIN") as copy:
            ids = graph.user_ids
            for a, b in zip(
                ids[graph.follower].tolist(), ids[graph.followee].tolist(), strict=True
            ):
                copy.write_row((a, b))
        progress("follows", len(graph.follower), len(graph.follower))


def _tweet(graph: SeedGraph, i: int) -> Tweet:
    return Tweet(
        tweet_id=int(graph.tweet_ids[i]),
        user_id=int(graph.user_ids[graph.tweet_author[i]]),
        text=graph.tweet_text[i],
        created_at_ms=int(graph.tweet_ms[i]),
        hashtags=graph.tweet_hashtags[i],
        mentions=graph.tweet_mentions[i],
    )


def _load_tweets(res: Resources, graph: SeedGraph, progress: Progress) -> None:
    total = len(graph.tweet_ids)
    batches = [range(s, min(s + _DYNAMO_BATCH, total)) for s in range(0, total, _DYNAMO_BATCH)]
    done = 0

    def write_batch(batch: range) -> int:
        requests = [
            {"PutRequest": {"Item": {**_tweet(graph, i).to_item(), SEEDED: {"BOOL": True}}}}
            for i in batch
        ]
        pending: dict[str, Any] = {tables.TWEETS: requests}
        while pending:
            answer = res.dynamo.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
        return len(requests)

    with ThreadPoolExecutor(max_workers=_DYNAMO_THREADS) as pool:
        for written in pool.map(write_batch, batches):
            done += written
            progress("tweets", done, total)


def _load_feeds(res: Resources, graph: SeedGraph, report: SeedReport, progress: Progress) -> None:
    """Push every tweet the way the fan-out worker would: same tiers, same timeline code."""
    timelines = Timelines.of(res)
    followers_of: dict[int, np.ndarray] = _followers_by_user(graph)
    follower_counts = graph.follower_counts()
    by_author: dict[int, list[Entry]] = defaultdict(list)
    for i in range(len(graph.tweet_ids)):
        author = int(graph.tweet_author[i])
        by_author[author].append(Entry(int(graph.tweet_ids[i]), int(graph.user_ids[author])))
    tiers: dict[str, int] = defaultdict(int)
    for done, (author, entries) in enumerate(by_author.items(), start=1):
        tier = choose_tier(int(follower_counts[author]), res.settings)
        tiers[tier.value] += 1
        report.feed_writes += timelines.add(entries, [int(graph.user_ids[author])])
        fans = followers_of.get(author, np.empty(0, dtype=np.int64))
        if tier is Tier.PULL:
            timelines.add_to_celeb(entries)
            continue
        if tier is Tier.PUSH_ACTIVE:
            fans = fans[~graph.dormant[fans]]
        report.feed_writes += timelines.add(entries, graph.user_ids[fans].tolist())
        progress("feeds", done, len(by_author))
    timelines.mark_ready(graph.user_ids.tolist())
    recent = {int(uid): [] for uid in graph.user_ids.tolist()}
    for author, entries in by_author.items():
        newest = sorted(entries, key=lambda e: e.tweet_id, reverse=True)[:RECENT_MAX]
        recent[int(graph.user_ids[author])] = newest
    timelines.fill_recent(recent)
    report.tiers = dict(tiers)
    report.celebrities_pulled = sum(
        1
        for c in graph.celebrities
        if choose_tier(int(follower_counts[c]), res.settings) is Tier.PULL
    )


def _followers_by_user(graph: SeedGraph) -> dict[int, np.ndarray]:
    order = np.argsort(graph.followee, kind="stable")
    followees, starts = np.unique(graph.followee[order], return_index=True)
    groups = np.split(graph.follower[order], starts[1:])
    return {int(f): g for f, g in zip(followees, groups, strict=True)}


def _load_search(res: Resources, graph: SeedGraph, progress: Progress) -> None:
    """Index users and tweets with the search indexer's own bulk actions, on a client
    with a bulk-sized timeout (the gateway's is tuned for interactive searches)."""
    search = clients.opensearch_client(res.settings, timeout=120)
    usernames = {int(graph.user_ids[i]): graph.username(i) for i in range(len(graph.user_ids))}
    user_events = [
        events.UserCreated(at_ms=0, user_id=uid, username=name, display_name=f"User {i}")
        for i, (uid, name) in enumerate(usernames.items())
    ]
    _bulk(search, user_events, usernames, "search users", progress)
    tweet_events = [created_event(_tweet(graph, i)) for i in range(len(graph.tweet_ids))]
    _bulk(search, tweet_events, usernames, "search tweets", progress)


def _bulk(
    search: OpenSearch, batch: list[Any], usernames: dict[int, str], phase: str, progress: Progress
) -> None:
    for start in range(0, len(batch), _SEARCH_CHUNK):
        chunk = batch[start : start + _SEARCH_CHUNK]
        write(search, [a for e in chunk for a in actions_for(e, usernames)])
        progress(phase, min(start + _SEARCH_CHUNK, len(batch)), len(batch))


def _write_population(res: Resources, graph: SeedGraph, tokens: list[str]) -> Any:
    """The users, tokens and hashtags a load run needs: `<run_dir>/seed/population.json`."""
    path = res.settings.run_dir / "seed" / "population.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = graph.follower_counts()
    users = [
        {
            "user_id": str(int(graph.user_ids[i])),
            "username": graph.username(i),
            "token": tokens[i],
            "followers": int(counts[i]),
        }
        for i in range(len(graph.user_ids))
    ]
    body = {
        "users": users,
        "celebrities": [str(int(graph.user_ids[c])) for c in graph.celebrities],
        "hashtags": graph.hashtags,
    }
    path.write_text(json.dumps(body))
    path.chmod(0o600)  # it holds every seeded user's bearer token
    return path


__all__ = ["GraphSpec", "SeedReport", "seed"]
