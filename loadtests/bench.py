"""`run_bench`: the fixed benchmark of DESIGN.md section 7, in well under five minutes.

    ceiling (GET /healthz) → feed reads → posts (+ fan-out) → index lag → store ceilings

Each HTTP phase runs the same generator at full speed (no think time) through the same
load balancer; the generator is Locust's master with local worker processes, so one
Python process is not what gets measured. Users are picked uniformly, so the per-user
rate limits shape the result as little as the population allows.
"""

from __future__ import annotations

import json
import math
import os
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from infra.local.provider import gateway_count
from loadtests import ceilings
from loadtests.latency import percentiles
from loadtests.plan import JourneyPlan, LoadPlan
from loadtests.population import Member, Population, load_population, population_path
from loadtests.recorder import Recorder
from loadtests.reliability import judge_reliability
from loadtests.run import base_url, check_stack
from loadtests.stackmetrics import StackProbe, StackSample, histogram_quantile
from stack.settings import Settings

USERS_PER_PHASE = 48
INDEX_SAMPLES = 20
INDEX_TIMEOUT_S = 30.0
DRAIN_WAIT_S = 15.0
RAMP_S = 2.0  # users start within a second or so; the steady rate is counted after


def run_bench(
    settings: Settings,
    work_dir: Path,
    *,
    duration_s: float = 20.0,
    workers: int | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Run every benchmark phase; return the figures as one flat JSON-able dict."""
    population_file = population_path(settings.run_dir)
    population = load_population(population_file)
    check_stack(settings)
    workers = workers or max(1, os.cpu_count() or 1)
    plan = _plan(settings, population_file, duration_s)
    probe = StackProbe(settings, gateway_count(settings))
    work_dir.mkdir(parents=True, exist_ok=True)

    from loadtests.runner import Generator

    stages = [(duration_s, USERS_PER_PHASE, float(USERS_PER_PHASE))]
    with Generator(plan, workers=workers, work_dir=work_dir, population=population) as generator:
        say(f"ceiling: GET /healthz for {duration_s:.0f}s")
        ceiling = generator.run_phase(stages, journeys=["ceiling"])
        say(f"feed reads: GET /feed for {duration_s:.0f}s")
        feed = generator.run_phase(stages, journeys=["feed"])
        say(f"posts: POST /tweets for {duration_s:.0f}s")
        fanout_start = probe.sample(0.0)
        post = generator.run_phase(stages, journeys=["post"])
        fanout_end, fanout_window = _after_drain(probe, post.finished_at - post.started_at)
        mode = generator.mode
    say(f"index lag: {INDEX_SAMPLES} posts until search finds them")
    index_lags, index_missed = _index_lags(settings, population)
    say("redis ZADD and DynamoDB PutItem ceilings")
    zadd = ceilings.redis_zadd_ceiling(settings, processes=workers)
    put = ceilings.dynamodb_put_ceiling(settings, processes=workers)

    ceiling_rps = _ok_rps(ceiling.recorder, "GET /healthz", ceiling)
    feed_rps = _ok_rps(feed.recorder, "GET /feed", feed)
    post_rps = _ok_rps(post.recorder, "POST /tweets", post)
    feed_latency = (
        percentiles(feed.recorder.endpoints["GET /feed"].service)
        if "GET /feed" in feed.recorder.endpoints
        else None
    )
    post_latency = (
        percentiles(post.recorder.endpoints["POST /tweets"].service)
        if "POST /tweets" in post.recorder.endpoints
        else None
    )
    deliveries = _delta(fanout_start.fanout_deliveries, fanout_end.fanout_deliveries)
    deliveries_per_s = None if deliveries is None else deliveries / fanout_window
    fanout_lag = histogram_quantile(
        0.99, fanout_start.fanout_lag_buckets, fanout_end.fanout_lag_buckets
    )
    reliability = [
        judge_reliability(p.cpu, p.system_cpu, None, requests=p.recorder.totals().requests,
                          rate_limited=p.recorder.totals().rate_limited)
        for p in (ceiling, feed, post)
    ]  # fmt: skip
    return {
        "generator": mode,
        "generator_processes": workers,
        "duration_s_per_phase": duration_s,
        "users_per_phase": USERS_PER_PHASE,
        "ceiling_rps": _round(ceiling_rps),
        "feed_read_rps": _round(feed_rps),
        "feed_read_ratio": _ratio(feed_rps, ceiling_rps),
        "feed_read_p50_ms": feed_latency.p50 if feed_latency else None,
        "feed_read_p99_ms": feed_latency.p99 if feed_latency else None,
        "post_rps": _round(post_rps),
        "post_ratio": _ratio(post_rps, ceiling_rps),
        "post_p99_ms": post_latency.p99 if post_latency else None,
        "fanout_deliveries_per_s": _round(deliveries_per_s),
        "fanout_lag_p99_ms": None if fanout_lag is None else round(fanout_lag * 1000, 3),
        "index_lag_p99_ms": _p99(index_lags),
        "index_lag_samples": len(index_lags),
        "index_lag_missed": index_missed,
        "redis_zadd_ceiling_per_s": _round(zadd.per_s),
        "redis_zadd_tool": zadd.tool,
        "fanout_deliveries_to_redis_zadd_ratio": _ratio(deliveries_per_s, zadd.per_s),
        "dynamodb_put_ceiling_per_s": _round(put.per_s),
        "dynamodb_put_tool": put.tool,
        "post_to_dynamodb_put_ratio": _ratio(post_rps, put.per_s),
        "phases": {
            name: _phase_facts(p, r.as_dict())
            for name, p, r in zip(
                ("ceiling", "feed_read", "post"), (ceiling, feed, post), reliability, strict=True
            )
        },
        "reliable": all(r.reliable for r in reliability),
    }


def _plan(settings: Settings, population_file: Path, duration_s: float) -> LoadPlan:
    return LoadPlan(
        host=base_url(settings),
        population_path=str(population_file),
        model="closed",
        duration_s=duration_s,
        journeys=[JourneyPlan(j, 0, 1.0) for j in ("ceiling", "feed", "post")],
        user_stages=[(duration_s, USERS_PER_PHASE, float(USERS_PER_PHASE))],
        think_time_s=(0.0, 0.0),
        zipf_exponent=0.0,
        bucket_s=1.0,
    )


def _after_drain(probe: StackProbe, phase_s: float) -> tuple[StackSample, float]:
    """Wait (a little) for the fan-out to catch up, so its deliveries are counted whole."""
    waited = 0.0
    sample = probe.sample(phase_s)
    while waited < DRAIN_WAIT_S and sample.lag and sample.lag.get("fanout", 0) > 0:
        time.sleep(1.0)
        waited += 1.0
        sample = probe.sample(phase_s + waited)
    return sample, phase_s + waited


def _index_lags(settings: Settings, population: Population) -> tuple[list[float], int]:
    """Milliseconds from a post's 201 until search finds its unique word, per sample."""
    import gevent

    base = base_url(settings)
    authors = list(population.users)
    rng = np.random.default_rng()
    lags: list[float] = []
    missed = [0]

    def one(author: Member) -> None:
        word = f"benchidx{uuid.uuid4().hex[:10]}"
        if not _post(base, author, f"indexing probe {word}"):
            missed[0] += 1
            return
        posted = time.monotonic()
        while time.monotonic() - posted < INDEX_TIMEOUT_S:
            if _found(base, word):
                lags.append((time.monotonic() - posted) * 1000)
                return
            gevent.sleep(0.05)
        missed[0] += 1

    jobs = []
    for _ in range(INDEX_SAMPLES):
        jobs.append(gevent.spawn(one, authors[int(rng.integers(len(authors)))]))
        gevent.sleep(0.1)
    gevent.joinall(jobs, timeout=INDEX_TIMEOUT_S + 10)
    return lags, missed[0]


def _post(base: str, author: Member, text: str) -> bool:
    request = urllib.request.Request(
        f"{base}/api/v1/tweets",
        data=json.dumps({"text": text}).encode(),
        headers={"Authorization": f"Bearer {author.token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return bool(answer.status == 201)
    except OSError:
        return False


def _found(base: str, word: str) -> bool:
    url = f"{base}/api/v1/search?" + urllib.parse.urlencode({"q": word})
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return bool(json.loads(answer.read()).get("items"))
    except (OSError, ValueError):
        return False


def _ok_rps(recorder: Recorder, name: str, phase: Any) -> float | None:
    """Successful requests per second in the steady part of a phase: whole timeline
    seconds after the users' ramp-up and before the stop."""
    if name not in recorder.endpoints:
        return None
    first = math.ceil(phase.started_at + RAMP_S)
    last = math.floor(phase.finished_at)  # exclusive: the bucket the stop fell in
    seconds = range(first, last)
    if len(seconds) < 1:
        stats = recorder.endpoints[name]
        return stats.counts.ok / max(phase.finished_at - phase.started_at, 1e-9)
    ok = sum(
        bucket.counts.ok
        for (index, endpoint), bucket in recorder.timeline.items()
        if endpoint == name and index in seconds
    )
    return ok / len(seconds)


def _phase_facts(phase: Any, reliability: dict[str, Any]) -> dict[str, Any]:
    totals = phase.recorder.totals()
    return {
        **totals.as_dict(),
        "elapsed_s": round(phase.finished_at - phase.started_at, 3),
        "error_kinds": {
            kind: n for s in phase.recorder.endpoints.values() for kind, n in s.error_kinds.items()
        },
        "reliable": reliability["reliable"],
        "reasons": reliability["reasons"],
        "generator_cpu_max_percent": reliability["generator_cpu"]["max_percent"],
    }


def _delta(before: float | None, after: float | None) -> float | None:
    if before is None or after is None:
        return None
    return after - before if after >= before else after


def _p99(values: list[float]) -> float | None:
    return round(float(np.percentile(values, 99)), 3) if values else None


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else round(part / whole, 4)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
