"""The benchmark's edge phase: Zipf-popular media and public reads through the edge.

First the edge's capacity for this mix: a closed loop at full speed over warmed URLs.
Then an open loop at `LOAD_SHARE` of it for the given seconds, timed from each intended
start (coordinated omission corrected), while the edge's own counters say how many
lookups hit and how many requests went on to the origins (object store and HAProxy).

    figures = measure_edge(settings, "http://127.0.0.1:8088", population, 30, print,
                           counters=provider.edge_counters)
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import struct
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chirp.core.edgestats import EdgeCounters
from chirp.core.settings import Settings
from chirp.loadtests.bench.probes import get_json
from chirp.loadtests.latency import enough_samples, new_histogram, percentiles, record_ms
from chirp.loadtests.population import Member, Population
from chirp.loadtests.zipf import ZipfPicker

LOAD_SHARE = 0.5
ZIPF_EXPONENT = 1.0
MEDIA_ITEMS = 24
AUTHORS = 30
THREADS = 8
OPEN_THREADS = 32
"""Many threads in each open-loop process: one slow answer must not delay the next start."""
OPEN_PROCESSES = 2
"""One Python process cannot offer thousands of requests a second on time (the GIL)."""
LATE_SHARE_LIMIT = 0.05
CAPACITY_S = 5.0
_TIMEOUT_S = 5.0

Progress = Callable[[str], None]


@dataclass
class _Tally:
    histogram: Any = field(default_factory=new_histogram)
    requests: int = 0
    errors: int = 0
    late: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency_ms: float, ok: bool, late: bool = False) -> None:
        with self.lock:
            record_ms(self.histogram, latency_ms)
            self.requests += 1
            self.errors += 0 if ok else 1
            self.late += 1 if late else 0


def measure_edge(
    settings: Settings,
    base_edge_url: str,
    population: Population,
    seconds: float,
    on_progress: Progress | None = None,
    *,
    counters: Callable[[], EdgeCounters | None],
) -> dict[str, Any]:
    """Edge capacity, then hit ratio, latency and origin load at half of it; `counters`
    reads the edge's own (the provider's `edge_counters`)."""
    say = on_progress or (lambda _: None)
    origin = f"http://{settings.host}:{settings.lb_port}"
    say("edge: uploading media and listing public reads")
    paths = _content(origin, population)
    random.Random(7).shuffle(paths)
    edge = urlsplit(base_edge_url)
    address = (edge.hostname or settings.host, edge.port or 80)
    for path in paths:  # the first request of each is a miss by definition
        _get(http.client.HTTPConnection(*address, timeout=_TIMEOUT_S), path)
    say(f"edge: capacity over {len(paths)} URLs ({CAPACITY_S:.0f} s closed loop)")
    capacity = _closed_loop(address, paths, CAPACITY_S)
    target = capacity.requests / CAPACITY_S * LOAD_SHARE
    say(f"edge: open loop at {target:.0f} req/s for {seconds:.0f} s")
    before = counters()
    started = time.monotonic()
    tally = _open_loop_processes(address, paths, target, seconds)
    elapsed = time.monotonic() - started
    after = counters()
    window = after.minus(before) if after and before else None
    return _figures(capacity, CAPACITY_S, target, tally, elapsed, window, len(paths))


def _figures(
    capacity: _Tally,
    capacity_s: float,
    target: float,
    tally: _Tally,
    elapsed: float,
    window: EdgeCounters | None,
    urls: int,
) -> dict[str, Any]:
    latency = percentiles(tally.histogram)
    edge_rps = tally.requests / elapsed if elapsed else None
    origin_rps = window.origin_requests / elapsed if window and elapsed else None
    return {
        "urls": urls,
        "zipf_exponent": ZIPF_EXPONENT,
        "capacity_rps": round(capacity.requests / capacity_s, 1),
        "capacity_errors": capacity.errors,
        "target_rps": round(target, 1),
        "edge_rps": None if edge_rps is None else round(edge_rps, 1),
        "requests": tally.requests,
        "errors": tally.errors,
        "late_starts": tally.late,
        "reliable": bool(tally.requests) and tally.late / tally.requests <= LATE_SHARE_LIMIT,
        "unreliable_reason": (
            None
            if not tally.requests or tally.late / tally.requests <= LATE_SHARE_LIMIT
            else f"{tally.late} of {tally.requests} starts were late: the generator (one "
            "Python process) could not offer the rate; the latency is its queueing"
        ),
        "latency_ms": latency.as_dict() if latency else None,
        "p99_enough_samples": enough_samples(99, tally.requests),
        "hit_ratio": None
        if window is None or window.hit_ratio is None
        else round(window.hit_ratio, 4),
        "origin_rps": None if origin_rps is None else round(origin_rps, 1),
        "origin_saved": (
            None
            if not (origin_rps is not None and edge_rps)
            else round(1 - origin_rps / edge_rps, 4)
        ),
        "edge_counters": None if window is None else window.__dict__,
    }


def _content(origin: str, population: Population) -> list[str]:
    """Edge paths to read: fresh media of the most followed users, their tweets and
    timelines, trending and hashtag searches."""
    authors = population.by_followers()[:AUTHORS]
    paths = [_upload(origin, authors[n % len(authors)], n) for n in range(MEDIA_ITEMS)]
    for author in authors:
        paths.append(f"/api/v1/users/{author.user_id}/tweets")
        page = get_json(origin, f"/api/v1/users/{author.user_id}/tweets?limit=5") or {}
        paths += [f"/api/v1/tweets/{t['tweet_id']}" for t in page.get("items", [])]
    paths.append("/api/v1/trending")
    paths += [f"/api/v1/search?q=%23{tag}" for tag in population.hashtags[:10]]
    return paths


def _upload(origin: str, member: Member, n: int) -> str:
    host = urlsplit(origin)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=_TIMEOUT_S)
    headers = {"Authorization": f"Bearer {member.token}", "Content-Type": "image/png"}
    connection.request("POST", "/api/v1/media", body=_png(n), headers=headers)
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    if answer.status != 201:
        raise RuntimeError(f"media upload answered {answer.status}: {body[:200]!r}")
    return urlsplit(json.loads(body)["url"]).path


def _png(n: int, side: int = 64) -> bytes:
    """A real PNG of `side` x `side` pixels whose shade depends on `n`."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes([(n * 37 + y) % 256]) * side for y in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _get(connection: http.client.HTTPConnection, path: str) -> bool:
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
    except (OSError, http.client.HTTPException):
        connection.close()
        return False
    return answer.status < 400


def _closed_loop(address: tuple[str, int], paths: list[str], seconds: float) -> _Tally:
    tally = _Tally()
    deadline = time.monotonic() + seconds

    def user(seed: int) -> None:
        picker = ZipfPicker(paths, ZIPF_EXPONENT, seed=seed)
        connection = http.client.HTTPConnection(*address, timeout=_TIMEOUT_S)
        while time.monotonic() < deadline:
            began = time.perf_counter()
            ok = _get(connection, picker.pick())
            tally.add((time.perf_counter() - began) * 1000, ok)
        connection.close()

    _run_threads(user)
    return tally


def _open_loop(address: tuple[str, int], paths: list[str], rate: float, seconds: float) -> _Tally:
    """Each thread owns every OPEN_THREADS-th intended start of a constant-rate schedule."""
    tally = _Tally()
    interval = OPEN_THREADS / max(rate, 1.0)
    start = time.perf_counter() + 0.1

    def user(seed: int) -> None:
        picker = ZipfPicker(paths, ZIPF_EXPONENT, seed=seed)
        connection = http.client.HTTPConnection(*address, timeout=_TIMEOUT_S)
        intended = start + seed * interval / OPEN_THREADS
        while intended < start + seconds:
            wait = intended - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            ok = _get(connection, picker.pick())
            done = time.perf_counter()
            tally.add((done - intended) * 1000, ok, late=-wait > interval)
            intended += interval
        connection.close()

    _run_threads(user, OPEN_THREADS)
    return tally


def _open_loop_processes(
    address: tuple[str, int], paths: list[str], rate: float, seconds: float
) -> _Tally:
    """The open loop split over OPEN_PROCESSES forked processes, their tallies merged."""
    context = multiprocessing.get_context("fork")
    share = rate / OPEN_PROCESSES
    with ProcessPoolExecutor(OPEN_PROCESSES, mp_context=context) as pool:
        parts = list(pool.map(_open_loop_part, [(address, paths, share, seconds)] * OPEN_PROCESSES))
    merged = _Tally()
    for encoded, requests, errors, late in parts:
        merged.histogram.decode_and_add(encoded)
        merged.requests += requests
        merged.errors += errors
        merged.late += late
    return merged


def _open_loop_part(
    job: tuple[tuple[str, int], list[str], float, float],
) -> tuple[bytes, int, int, int]:
    tally = _open_loop(*job)
    return tally.histogram.encode(), tally.requests, tally.errors, tally.late


def _run_threads(user: Callable[[int], None], count: int = THREADS) -> None:
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
