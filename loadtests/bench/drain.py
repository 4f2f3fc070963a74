"""Fan-out capacity by drain: what the fan-out workers do when work waits for them.

    pause the fan-out workers (SIGSTOP) → post until the backlog holds enough deliveries
    → wait until the relay has handed every post to Kafka → resume (SIGCONT) → watch
    the workers' delivery counter and the group's lag until the backlog is gone

The capacity is the deliveries the workers made while the backlog drained over the time
their batches took (the workers' own `chirp_worker_batch_seconds`), per fan-out worker
process: the wake-up after SIGCONT (rejoining the group, fetching) is not the fan-out's
work, and a backlog of a few large batches leaves no reading between its first delivery
and its last. The wall time from resume to an empty backlog is reported beside it. The
backlog is posted by the most followed authors the fan-out pushes to, where most of its
deliveries come from. Reading the rate the posts happened to arrive at would measure
the posts, not the fan-out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import gevent.pool

from chirp.core.observe import by_label, scrape, total
from chirp.core.settings import Settings
from chirp.loadtests.bench.probes import post_json
from chirp.loadtests.population import Member
from chirp.loadtests.stackmetrics import FANOUT_DELIVERIES, FANOUT_OFFSET

FANOUT_GROUP = "fanout"
BACKLOG_POST_S = 25.0  # the paused consumer must be back before its session times out
BACKLOG_AUTHORS = 50  # the most followed push-tier authors: few posts make a large backlog
_POSTERS = 16
_RELAY_WAIT_S = 30.0
_DRAIN_TIMEOUT_S = 120.0
_LAG_POLL_S = 0.05
_QUIET_S = 2.0  # longer than the relay takes to hand an acknowledged post to Kafka
BATCH_SECONDS_SUM = "chirp_worker_batch_seconds_sum"


@dataclass(frozen=True)
class Drain:
    posts: int
    refused: int
    expected_deliveries: int
    deliveries: float
    drain_s: float  # the workers' batch time while they drained
    wall_s: float  # from resume until the backlog was committed, wake-up included
    workers: int

    @property
    def per_s_per_worker(self) -> float | None:
        if self.drain_s <= 0 or self.deliveries <= 0:
            return None
        return self.deliveries / self.drain_s / self.workers

    def as_dict(self) -> dict[str, float | int | None]:
        rate = self.per_s_per_worker
        return {
            "backlog_posts": self.posts,
            "backlog_refused": self.refused,
            "backlog_expected_deliveries": self.expected_deliveries,
            "drained_deliveries": round(self.deliveries),
            "drain_s": round(self.drain_s, 3),
            "wall_s": round(self.wall_s, 3),
            "fanout_worker_processes": self.workers,
            "capacity_per_s_per_worker": None if rate is None else round(rate, 1),
        }


def backlog_authors(members: list[Member], push_threshold: int) -> list[Member]:
    """The most followed authors whose posts are pushed to every follower."""
    pushed = [m for m in members if 1 <= m.followers < push_threshold]
    return sorted(pushed, key=lambda m: -m.followers)[:BACKLOG_AUTHORS]


def posts_for(authors: list[Member], deliveries: int) -> int:
    """Posts, cycling over `authors`, whose deliveries (followers + the author) reach
    `deliveries`."""
    reached, posts = 0, 0
    while reached < deliveries and authors:
        reached += authors[posts % len(authors)].followers + 1
        posts += 1
    return posts


def measure_drain(
    settings: Settings,
    base: str,
    authors: list[Member],
    *,
    deliveries: int,
    workers: int,
    on_progress: Callable[[str], None] = lambda _: None,
) -> Drain:
    """Build a backlog of at least `deliveries` with the fan-out paused, then time its drain."""
    from chirp.infra.chaos.faults import LocalFaults

    faults = LocalFaults(settings)
    metrics_url = _fanout_metrics_url(settings)
    lag = _GroupLag(settings)
    try:
        on_progress("waiting for earlier posts to be delivered")
        _wait_for_quiet(lag)
        before = lag.messages()
        start = _reading(metrics_url)  # a paused worker answers no scrape
        faults.pause(FANOUT_GROUP)
        try:
            on_progress("posting the backlog with the fan-out paused")
            posts, refused, expected = _post_backlog(base, authors, deliveries)
            on_progress("waiting for the relay to hand every post to Kafka")
            _wait_for_relay(lag, before + posts)
        finally:
            resumed_at = time.monotonic()
            faults.resume(FANOUT_GROUP)
        on_progress("draining")
        while lag.messages() > 0 and time.monotonic() - resumed_at < _DRAIN_TIMEOUT_S:
            gevent.sleep(_LAG_POLL_S)
        wall = time.monotonic() - resumed_at
        end = _reading(metrics_url)
    finally:
        lag.close()
    return Drain(
        posts,
        refused,
        expected,
        deliveries=end.deliveries - start.deliveries,
        drain_s=end.batch_seconds - start.batch_seconds,
        wall_s=wall,
        workers=workers,
    )


@dataclass(frozen=True)
class _Reading:
    deliveries: float
    batch_seconds: float


def _reading(metrics_url: str) -> _Reading:
    samples = scrape(metrics_url)
    deliveries = None if samples is None else total(samples, FANOUT_DELIVERIES)
    if samples is None or deliveries is None:
        raise RuntimeError(f"the fan-out worker's metrics do not answer at {metrics_url}")
    busy = by_label(samples, BATCH_SECONDS_SUM, "group").get(FANOUT_GROUP, 0.0)
    return _Reading(deliveries, busy)


def _post_backlog(base: str, authors: list[Member], deliveries: int) -> tuple[int, int, int]:
    wanted = posts_for(authors, deliveries)
    posted = refused = expected = 0
    started = time.monotonic()

    def one(index: int) -> None:
        nonlocal posted, refused, expected
        if time.monotonic() - started > BACKLOG_POST_S:
            return
        author = authors[index % len(authors)]
        status, _ = post_json(base, "/api/v1/tweets", author.token, {"text": "backlog post"})
        if status == 201:
            posted += 1
            expected += author.followers + 1
        else:
            refused += 1

    pool = gevent.pool.Pool(_POSTERS)
    for index in range(wanted):
        pool.spawn(one, index)
    pool.join()
    return posted, refused, expected


def _wait_for_quiet(lag: _GroupLag) -> None:
    """Until the group has had nothing to do for a while: the deliveries of earlier posts
    would otherwise be counted as the backlog's."""
    deadline = time.monotonic() + _DRAIN_TIMEOUT_S
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if lag.messages() > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= _QUIET_S:
            return
        gevent.sleep(_LAG_POLL_S)


def _wait_for_relay(lag: _GroupLag, target: int) -> None:
    deadline = time.monotonic() + _RELAY_WAIT_S
    while lag.messages() < target and time.monotonic() < deadline:
        gevent.sleep(_LAG_POLL_S)


def _fanout_metrics_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.worker_metrics_base_port + FANOUT_OFFSET}/metrics"


class _GroupLag:
    """Messages the fan-out group has not committed yet, over all its partitions."""

    def __init__(self, settings: Settings) -> None:
        from chirp.stack.clients import kafka_config
        from chirp.stack.relay.lag import GroupLags
        from chirp.stack.schema import topics

        subscribed = {FANOUT_GROUP: topics.SUBSCRIPTIONS[FANOUT_GROUP]}
        self._lags = GroupLags(kafka_config(settings), subscribed)

    def messages(self) -> int:
        return self._lags.totals()[FANOUT_GROUP]

    def close(self) -> None:
        """Nothing to free: the admin client closes with the process."""
