"""The figures `chirp status` prints, read from one scrape of the running stack.

One scrape of every gateway, the relay and the workers (`take_scrape`, the same the live
dashboard takes each second) turned into figures by `live_figures` over a window of
that one scrape: counts since each process started, the same numbers the dashboard's
first frame shows. Nothing here is stored: each call scrapes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from chirp.core.observe import Sample, scrape
from chirp.infra.provision.local.live import LiveFigures, Scrape, group_lags, live_figures
from chirp.infra.provision.local.prometheus import ScrapeTarget

FEED_READ = ("GET", "/api/v1/feed")


@dataclass
class Figures:
    consumer_lag: dict[str, int] = field(default_factory=dict)
    feed_cache_hit_rate: float | None = None
    feed_read_p99_ms: float | None = None
    requests_total: int = 0
    """API requests answered since each gateway started (load balancer and Prometheus
    probes left out)."""
    edge_hit_ratio: float | None = None
    """Hits over cacheable lookups at the edge since it started."""

    @classmethod
    def of(cls, live: LiveFigures) -> Figures:
        """The figures `status` prints, as the dashboard computed them."""
        feed = next((r for r in live.routes if (r.method, r.route) == FEED_READ), None)
        p99_s = None if feed is None else feed.p99_s
        return cls(
            consumer_lag=group_lags(live.lags),
            feed_cache_hit_rate=live.feed_cache_hit_ratio,
            feed_read_p99_ms=None if p99_s is None else p99_s * 1000,
            requests_total=round(live.requests),
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def collect(host: str, targets: Sequence[ScrapeTarget]) -> Figures:
    """The figures of one scrape of `targets`, since each process started."""
    return figures_of(take_scrape(host, targets))


def figures_of(scrape: Scrape) -> Figures:
    """What `status` prints for one scrape: the dashboard's figures of a window of it."""
    return Figures.of(live_figures([scrape]))


def take_scrape(
    host: str, targets: Sequence[ScrapeTarget], pool: ThreadPoolExecutor | None = None
) -> Scrape:
    """Every target's samples, scraped in parallel; a target that does not answer (or
    answers nothing: a live process always has its own process metrics) is left out."""
    own = pool is None
    runner = pool or ThreadPoolExecutor(max_workers=max(1, len(targets)))
    try:
        futures = {
            t.component: runner.submit(scrape, f"http://{host}:{t.port}/metrics") for t in targets
        }
        at = time.monotonic()
        answers: dict[str, list[Sample] | None] = {n: f.result() for n, f in futures.items()}
    finally:
        if own:
            runner.shutdown(wait=False)
    return Scrape(at=at, targets={name: s for name, s in answers.items() if s})
