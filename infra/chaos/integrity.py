"""The integrity ledger on the wire: its own users, a steady writer, and the verification.

The drill creates a small cast through the API (authors, each with a few followers who
follow only that author), a thread posts at a steady rate with a unique word in every
text, and after recovery `verify` reads timelines, feeds and search until everything
acknowledged is seen or a generous deadline passes. `infra.chaos.ledger` judges.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from chirp.core.errors import CastFailed
from chirp.infra.chaos.client import Api, Reply
from chirp.infra.chaos.ledger import LedgerReport, Observation, Outcome, Write, classify, outcome_of

_POST_TIMEOUT_S = 10.0
_POSTERS = 8
_READ_TIMEOUT_S = 10.0
_POLL_S = 2.0
_MAX_PAGES = 50
_TWEET_BUDGET = 0.8  # of the per-author hourly limit, so rate limits never refuse the ledger
_MAX_PER_AUTHOR = 40
"""Below the 50 tweets per followee a rebuilt feed starts from (stack.feed.read), so a feed
rebuilt after a cache loss can hold every ledger tweet: the ledger judges delivery, not
how deep a rebuild reaches."""


@dataclass(frozen=True)
class Member:
    user_id: str
    username: str
    token: str


@dataclass(frozen=True)
class Cast:
    """The drill's users: authors and, per author, the followers who follow only them."""

    run_word: str
    authors: list[Member]
    followers_of: dict[str, list[Member]]

    @property
    def readers(self) -> list[Member]:
        return [f for author in self.authors for f in self.followers_of[author.user_id]]


def authors_needed(rate: float, seconds: float, tweets_per_hour: int) -> int:
    """Enough authors that `rate` posts/s for `seconds` stay under each one's hourly limit."""
    per_author = max(1, min(_MAX_PER_AUTHOR, int(tweets_per_hour * _TWEET_BUDGET)))
    return max(1, math.ceil(rate * seconds / per_author))


def create_cast(api: Api, run_word: str, authors: int, followers: int) -> Cast:
    """Sign up `authors` authors with `followers` followers each; CastFailed on any refusal."""
    made: list[Member] = []
    followers_of: dict[str, list[Member]] = {}
    for a in range(authors):
        author = sign_up(api, f"{run_word}a{a}")
        made.append(author)
        followers_of[author.user_id] = []
        for f in range(followers):
            follower = sign_up(api, f"{run_word}a{a}f{f}")
            answer = api.call(
                "PUT",
                f"/api/v1/users/{follower.user_id}/following/{author.user_id}",
                token=follower.token,
            )
            if answer.status != 204:
                raise CastFailed(f"could not follow through the API: {_why(answer)}")
            followers_of[author.user_id].append(follower)
    return Cast(run_word, made, followers_of)


def warm_feeds(api: Api, cast: Cast) -> None:
    """Read every follower's feed once, so the baseline starts with built feeds (a first
    read rebuilds a feed from DynamoDB and counts as a cache miss)."""
    for reader in cast.readers:
        api.call("GET", "/api/v1/feed", params={"userId": reader.user_id}, token=reader.token)


def sign_up(api: Api, username: str) -> Member:
    answer = api.call(
        "POST", "/api/v1/users", body={"username": username, "display_name": "chaos drill"}
    )
    if answer.status != 201 or not isinstance(answer.body, dict):
        raise CastFailed(f"could not create drill user {username} through the API: {_why(answer)}")
    return Member(str(answer.body["user_id"]), username, str(answer.body["token"]))


def _why(answer: Reply) -> str:
    if answer.status is None:
        return answer.error or "no answer"
    return f"HTTP {answer.status} {answer.body!r}"[:200]


WriteCallback = Callable[[Write, Reply], None]
W = TypeVar("W")


class PacedWriter(ABC, Generic[W]):
    """Attempts writes at `rate` per second until stopped or out of work, recording each.

    Attempts go out on schedule even when one is slow: the rate is offered, not closed-loop.
    """

    thread_name: ClassVar[str] = "chaos-writer"

    def __init__(self, rate: float) -> None:
        self.interval_s = 1.0 / rate
        self._writes: list[W] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._pool = ThreadPoolExecutor(max_workers=_POSTERS, thread_name_prefix=self.thread_name)

    @abstractmethod
    def _next(self, seq: int) -> Callable[[], None] | None:
        """Attempt number `seq`, or None when there is nothing left to write."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop writing and wait for the attempts in flight, so every one is recorded."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def writes(self) -> list[W]:
        with self._lock:
            return list(self._writes)

    def _record(self, write: W) -> None:
        with self._lock:
            self._writes.append(write)

    def _run(self) -> None:
        seq = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            attempt = self._next(seq)
            if attempt is None:
                return
            delay = next_at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            self._pool.submit(attempt)
            seq += 1
            next_at = max(next_at + self.interval_s, time.monotonic() - self.interval_s)


class LedgerWriter(PacedWriter[Write]):
    """Posts round robin over the authors, a unique word in every text."""

    thread_name = "chaos-ledger"

    def __init__(
        self, api: Api, cast: Cast, rate: float, clock: Callable[[], float], on_write: WriteCallback
    ) -> None:
        super().__init__(rate)
        self.api = api
        self.cast = cast
        self.clock = clock
        self.on_write = on_write
        self._exhausted: set[str] = set()

    def last_acknowledged(self) -> Write | None:
        acked = [w for w in self.writes() if w.outcome is Outcome.acknowledged]
        return acked[-1] if acked else None

    def _next(self, seq: int) -> Callable[[], None] | None:
        authors = [a for a in self.cast.authors if a.user_id not in self._exhausted]
        if not authors:
            return None  # every author used its hourly budget; the ledger stops growing
        return functools.partial(self._post, seq, authors[seq % len(authors)])

    def _post(self, seq: int, author: Member) -> None:
        word = f"{self.cast.run_word}x{seq:06d}"
        started = self.clock()
        answer = self.api.call(
            "POST",
            "/api/v1/tweets",
            body={"text": f"chaos ledger {self.cast.run_word} {word}"},
            token=author.token,
            headers={"Idempotency-Key": word},
            timeout_s=_POST_TIMEOUT_S,
        )
        body = answer.body if isinstance(answer.body, dict) else {}
        tweet_id = body.get("tweet_id")
        write = Write(
            seq=seq,
            author_id=author.user_id,
            word=word,
            outcome=outcome_of(answer.status, str(tweet_id) if tweet_id else None),
            t=started,
            tweet_id=str(tweet_id) if tweet_id else None,
            status=answer.status,
        )
        if answer.status == 429 and body.get("error", {}).get("code") == "rate_limited":
            self._exhausted.add(author.user_id)
        self._record(write)
        self.on_write(write, answer)


@dataclass
class Verification:
    report: LedgerReport
    rounds: int
    seconds: float
    unreadable: list[str]
    """places that did not answer on the last round (counted as missing)"""


def verify(
    api: Api,
    cast: Cast,
    writes: list[Write],
    checks: Collection[str],
    timeout_s: float,
    stop: threading.Event,
    on_round: Callable[[int, LedgerReport], None],
) -> Verification:
    """Read until nothing expected is missing or `timeout_s` passes; the last round judges."""
    started = time.monotonic()
    rounds = 0
    while True:
        rounds += 1
        observed, unreadable = observe(api, cast, checks)
        report = classify(writes, observed, checks)
        on_round(rounds, report)
        out_of_time = time.monotonic() - started >= timeout_s
        if report.complete or out_of_time or stop.wait(_POLL_S):
            return Verification(report, rounds, time.monotonic() - started, unreadable)


def observe(api: Api, cast: Cast, checks: Collection[str]) -> tuple[Observation, list[str]]:
    """Timelines (always), feeds and search (when checked) of the cast, through the API."""
    observed = Observation(
        followers_of={a: [f.user_id for f in fs] for a, fs in cast.followers_of.items()}
    )
    unreadable: list[str] = []
    for author in cast.authors:
        items = all_pages(api, f"/api/v1/users/{author.user_id}/tweets", {"limit": 200}, None)
        if items is None:
            unreadable.append(f"timeline:{author.user_id}")
        observed.timelines[author.user_id] = [
            (str(t["tweet_id"]), str(t.get("text", ""))) for t in items or []
        ]
    if "feeds" in checks:
        for reader in cast.readers:
            params = {"userId": reader.user_id, "limit": 100}
            items = all_pages(api, "/api/v1/feed", params, reader.token)
            if items is None:
                unreadable.append(f"feed:{reader.user_id}")
            observed.feeds[reader.user_id] = [str(t["tweet_id"]) for t in items or []]
    if "search" in checks:
        params = {"q": cast.run_word, "type": "tweets", "limit": 200}
        items = all_pages(api, "/api/v1/search", params, None)
        if items is None:
            unreadable.append("search")
        observed.search = [str(t["tweet_id"]) for t in items or []]
    return observed, unreadable


def all_pages(
    api: Api, path: str, params: dict[str, object], token: str | None
) -> list[dict[str, object]] | None:
    """Every item over every page, or None when a page did not answer 200."""
    items: list[dict[str, object]] = []
    cursor = None
    for _ in range(_MAX_PAGES):
        answer = api.call(
            "GET", path, params={**params, "cursor": cursor}, token=token, timeout_s=_READ_TIMEOUT_S
        )
        if answer.status != 200 or not isinstance(answer.body, dict):
            return None
        items += answer.body.get("items", [])
        cursor = answer.body.get("next_cursor")
        if not cursor:
            return items
    return items
