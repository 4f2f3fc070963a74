"""The steady-state probe: every second, a few API requests through the load balancer and a
scrape of the stack's /metrics, closed into one `Sample`.

Requests run in a small pool so a hanging one never delays the next second; each counts in
the sample of the second it completes. The integrity writer's posts are recorded here too
(endpoint `post`), so error rate and p99 cover writes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count

from chirp.core.observe import by_label, counter_increase, scrape, total
from chirp.core.settings import Settings
from chirp.infra.chaos.client import Api, Reply
from chirp.infra.chaos.integrity import Cast, Member
from chirp.infra.chaos.ledger import FollowWrite, Outcome, Write
from chirp.infra.chaos.metrics import Sample
from chirp.infra.provision.local import provider, stackproc

_HIT_WINDOW = 5
"""Seconds of gateway feed-cache counters the hit rate is computed over."""
_GATEWAY_COUNTERS = {
    "chirp_feed_cache_hits_total": "hits",
    "chirp_feed_cache_misses_total": "misses",
    "chirp_feed_degraded_reads_total": "degraded_reads",
    "chirp_feed_degraded_refused_total": "degraded_refused",
}


@dataclass(frozen=True)
class Target:
    """A tweet acknowledged before the fault ended: is it searchable, is it in a feed yet?"""

    tweet_id: str
    word: str
    reader: Member


@dataclass
class _Scraped:
    lag: dict[str, int] | None = None
    deltas: dict[str, float] = field(default_factory=dict)


class Prober:
    """Samples the stack once a second until stopped; `samples()` is every closed one."""

    def __init__(
        self,
        settings: Settings,
        api: Api,
        cast: Cast,
        endpoints: list[str],
        clock: Callable[[], float],
        phase_of: Callable[[], str],
        on_sample: Callable[[Sample], None],
    ) -> None:
        self.settings = settings
        self.api = api
        self.cast = cast
        self.endpoints = endpoints
        self.clock = clock
        self.phase_of = phase_of
        self.on_sample = on_sample
        self._open = Sample(t=0.0, phase="")
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._target: Target | None = None
        self._turn = count()
        self._previous: dict[str, dict[str, float]] = {}
        self._hit_window: deque[tuple[float, float]] = deque(maxlen=_HIT_WINDOW)
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="chaos-probe")
        self._thread = threading.Thread(target=self._run, name="chaos-prober", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def samples(self) -> list[Sample]:
        with self._lock:
            return list(self._samples)

    def set_target(self, target: Target | None) -> None:
        self._target = target

    def record(self, endpoint: str, reply: Reply, fresh: bool | None = None) -> None:
        """Count one finished request in the open sample."""
        with self._lock:
            sample = self._open
            stats = sample.endpoint(endpoint)
            stats.requests += 1
            outcome = reply.outcome()
            stats.errors += outcome == "error"
            stats.refused += outcome == "refused"
            stats.status_429 += reply.status == 429
            stats.status_503 += reply.status == 503
            stats.latencies_ms.append(reply.latency_ms)
            if reply.node is not None:
                sample.nodes[reply.node] = sample.nodes.get(reply.node, 0) + 1
            if endpoint == "feed" and reply.headers.get("x-chirp-degraded") == "1":
                sample.degraded += 1
            if endpoint == "search" and reply.status == 503 and reply.api_error:
                sample.search_unavailable += 1
            if fresh is not None and endpoint in ("search", "feed"):
                attribute = f"{endpoint}_fresh"
                setattr(sample, attribute, bool(getattr(sample, attribute)) or fresh)

    def record_write(self, write: Write, reply: Reply) -> None:
        """The integrity writer's post: a `post` request and a ledger count."""
        self.record("post", reply)
        with self._lock:
            if write.outcome is Outcome.acknowledged:
                self._open.acked += 1
            elif write.outcome is Outcome.unknown:
                self._open.ledger_unknown += 1
            else:
                self._open.ledger_refused += 1

    def record_follow(self, write: FollowWrite, reply: Reply) -> None:
        """The follow ledger's follow: a `follow` request and, when acknowledged, a count."""
        self.record("follow", reply)
        if write.outcome is Outcome.acknowledged:
            with self._lock:
                self._open.follows_acked += 1

    def _run(self) -> None:
        next_tick = time.monotonic()
        while not self._stop.is_set():
            scraped: Future[_Scraped] = self._pool.submit(self._scrape)
            for endpoint in self.endpoints:
                self._pool.submit(self._probe, endpoint)
            next_tick += 1.0
            if self._stop.wait(max(0.0, next_tick - time.monotonic())):
                return
            try:
                figures = scraped.result(timeout=2)
            except Exception:  # a scrape that fails leaves the figures empty this second
                figures = _Scraped()
            self._close(figures)
            next_tick = max(next_tick, time.monotonic())

    def _close(self, figures: _Scraped) -> None:
        with self._lock:
            sample, self._open = self._open, Sample(t=0.0, phase="")
            sample.t = self.clock()
            sample.phase = self.phase_of()
            sample.lag = figures.lag
            hits, misses = figures.deltas.get("hits", 0.0), figures.deltas.get("misses", 0.0)
            self._hit_window.append((hits, misses))
            window_hits = sum(h for h, _ in self._hit_window)
            window_reads = window_hits + sum(m for _, m in self._hit_window)
            sample.feed_hit_rate = window_hits / window_reads if window_reads else None
            sample.db_degraded_reads = int(figures.deltas.get("degraded_reads", 0))
            sample.db_degraded_refused = int(figures.deltas.get("degraded_refused", 0))
            self._samples.append(sample)
        self.on_sample(sample)

    def _probe(self, endpoint: str) -> None:
        target = self._target
        turn = next(self._turn)
        fresh = None
        if endpoint == "feed":
            reader = target.reader if target else self.cast.readers[turn % len(self.cast.readers)]
            params = {"userId": reader.user_id, "limit": 50}
            reply = self.api.call("GET", "/api/v1/feed", params=params, token=reader.token)
            fresh = _contains(reply, target.tweet_id) if target else None
        elif endpoint == "timeline":
            author = self.cast.authors[turn % len(self.cast.authors)]
            path = f"/api/v1/users/{author.user_id}/tweets"
            reply = self.api.call("GET", path, params={"limit": 20})
        elif endpoint in ("profile", "following"):
            member = self.cast.readers[turn % len(self.cast.readers)]
            suffix = "/following" if endpoint == "following" else ""
            reply = self.api.call("GET", f"/api/v1/users/{member.user_id}{suffix}")
        elif endpoint == "search":
            query = target.word if target else self.cast.run_word
            reply = self.api.call("GET", "/api/v1/search", params={"q": query, "limit": 20})
            fresh = _contains(reply, target.tweet_id) if target else None
        else:
            reply = self.api.call("GET", "/healthz")
        if not self._stop.is_set():
            self.record(endpoint, reply, fresh)

    def _scrape(self) -> _Scraped:
        """Consumer lag from the relay; feed cache counters from each gateway, as deltas."""
        settings = self.settings
        relay = f"http://{settings.host}:{settings.worker_metrics_base_port}/metrics"
        lag = by_label(scrape(relay) or [], "chirp_consumer_group_lag", "group")
        deltas: dict[str, float] = {}
        for gateway in stackproc.gateways(settings, provider.gateway_count(settings)):
            url = f"http://{settings.host}:{gateway.port}/metrics"
            samples = scrape(url) or []
            now = {
                key: found
                for name, key in _GATEWAY_COUNTERS.items()
                if (found := total(samples, name)) is not None
            }
            if not now:
                continue  # not answering: its counters resume (or restart at 0) later
            before = self._previous.get(url, {})
            for key, value in now.items():
                if key not in before:
                    continue  # first sight of this gateway: no delta yet
                deltas[key] = deltas.get(key, 0.0) + counter_increase(before[key], value)
            self._previous[url] = now
        return _Scraped(lag={g: int(v) for g, v in lag.items()} or None, deltas=deltas)


def _contains(reply: Reply, tweet_id: str) -> bool:
    if reply.status != 200 or not isinstance(reply.body, dict):
        return False
    return any(str(item.get("tweet_id")) == tweet_id for item in reply.body.get("items", []))
