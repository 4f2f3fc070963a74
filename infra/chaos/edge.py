"""The edge drills' actions: traffic through the edge while it dies, and stale reads.

`EdgeTraffic` reads Zipf-popular media and tweets through the edge from a few threads,
at a paced rate; a read the edge does not answer (it is down) goes to the origin instead
(the object store for media, HAProxy for the API), as a client with a fallback would.
The origin's load is what the edge fetched (varnishstat's backend requests) plus those
fallback reads.
"""

from __future__ import annotations

import http.client
import json
import random
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chirp.core.errors import FaultFailed
from chirp.core.settings import Settings
from chirp.infra.provision.local.edge import Edge
from chirp.infra.provision.local.edgestats import EdgeCounters, read_counters

_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Posted:
    tweet_id: str
    media_path: str


@dataclass
class Author:
    """A fresh user who posts the drill's tweets, each with one image."""

    settings: Settings
    user_id: str = ""
    token: str = ""

    def sign_up(self) -> None:
        name = f"edgedrill{random.randrange(1 << 40):x}"
        body = self._call("POST", "/api/v1/users", {"username": name, "display_name": "edge"})
        self.user_id, self.token = body["user_id"], body["token"]

    def post_with_image(self, n: int) -> Posted:
        upload = self._call("POST", "/api/v1/media", _png(n), content_type="image/png")
        tweet = self._call(
            "POST", "/api/v1/tweets", {"text": f"edge drill {n}", "media_ids": [upload["media_id"]]}
        )
        return Posted(tweet["tweet_id"], urlsplit(upload["url"]).path)

    def delete(self, tweet_id: str) -> None:
        self._call("DELETE", f"/api/v1/tweets/{tweet_id}", None, expect=204)

    def _call(
        self,
        method: str,
        path: str,
        body: object,
        content_type: str = "application/json",
        expect: int | None = None,
    ) -> dict:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
        headers = {"Content-Type": content_type}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        connection = http.client.HTTPConnection(
            self.settings.host, self.settings.lb_port, timeout=10
        )
        try:
            connection.request(method, path, body=raw, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        if answer.status != (expect or (201 if method == "POST" else 200)):
            raise FaultFailed(f"{method} {path} answered {answer.status}: {data[:200]!r}")
        return json.loads(data) if data else {}


@dataclass
class EdgeTraffic:
    """Paced reads of `paths` through the edge, falling back to the origin."""

    settings: Settings
    paths: list[str]
    rate: float = 100.0
    threads: int = 4
    edge_reads: int = 0
    origin_reads: int = 0
    errors: int = 0
    seen: dict[str, int] = field(default_factory=dict)
    """path → the status the edge last answered for it"""
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        weights = [1 / rank for rank in range(1, len(self.paths) + 1)]
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, args=(n, weights), daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=10)

    def counts(self) -> tuple[int, int, int]:
        with self._lock:
            return self.edge_reads, self.origin_reads, self.errors

    def _run(self, seed: int, weights: list[float]) -> None:
        rng = random.Random(seed)
        interval = self.threads / self.rate
        next_at = time.monotonic()
        while not self._stop.is_set():
            path = rng.choices(self.paths, weights)[0]
            self._read(path)
            next_at += interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def _read(self, path: str) -> None:
        status = _get(self.settings.host, self.settings.edge_port, path)
        if status is not None:
            with self._lock:
                self.edge_reads += 1
                self.seen[path] = status
            return
        origin = _origin(self.settings, path)
        fallback = _get(*origin)
        with self._lock:
            self.origin_reads += 1
            self.errors += 0 if fallback is not None and fallback < 500 else 1


def _origin(settings: Settings, path: str) -> tuple[str, int, str]:
    if path.startswith("/media/"):
        key = path.removeprefix("/media/")
        store = urlsplit(settings.objectstore_endpoint)
        return (
            store.hostname or settings.host,
            store.port or 80,
            f"/{settings.objectstore_bucket}/{key}",
        )
    return settings.host, settings.lb_port, path


def _get(host: str, port: int, path: str) -> int | None:
    """The status of GET `path`, or None when nothing answered."""
    connection = http.client.HTTPConnection(host, port, timeout=_TIMEOUT_S)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def edge_status(settings: Settings, path: str) -> tuple[int | None, str]:
    """What the edge answers for `path` now: status and X-Cache."""
    connection = http.client.HTTPConnection(settings.host, settings.edge_port, timeout=_TIMEOUT_S)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        body = answer.read()
        return answer.status, answer.getheader("X-Cache", "") + "|" + body.decode(errors="replace")
    except (OSError, http.client.HTTPException):
        return None, ""
    finally:
        connection.close()


def counters(settings: Settings) -> EdgeCounters | None:
    return read_counters(Edge(settings).work_dir)


def windowed_hit_ratio(settings: Settings, seconds: float, stop: threading.Event) -> float | None:
    """The edge's hit ratio over the next `seconds`."""
    before = counters(settings)
    stop.wait(seconds)
    after = counters(settings)
    if before is None or after is None:
        return None
    return after.minus(before).hit_ratio


def _png(n: int, side: int = 16) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = b"".join(b"\x00" + bytes([(n * 13 + y) % 256]) * side for y in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    stamp = chunk(b"tEXt", b"n\x00" + str(time.time_ns() + n).encode())
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + stamp
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


# --- the actions -------------------------------------------------------------------------

MEDIA_TWEETS = 8


def settings_of(faults: object) -> Settings:
    settings = getattr(faults, "settings", None)
    if not isinstance(settings, Settings):
        raise FaultFailed("the edge drills run on the local provider only")
    return settings


def _content(settings: Settings, count: int) -> tuple[Author, list[Posted]]:
    author = Author(settings)
    author.sign_up()
    return author, [author.post_with_image(n) for n in range(count)]


def _paths(author: Author, posted: list[Posted]) -> list[str]:
    reads = [p for item in posted for p in (item.media_path, f"/api/v1/tweets/{item.tweet_id}")]
    return [*reads, f"/api/v1/users/{author.user_id}/tweets"]


def _origin_rps(
    traffic: EdgeTraffic, settings: Settings, seconds: float, stop: threading.Event
) -> float:
    """Requests per second the origins served over `seconds`: fetched by the edge plus
    read around it."""
    before_counters, (_, before_origin, _) = counters(settings), traffic.counts()
    stop.wait(seconds)
    after_counters, (_, after_origin, _) = counters(settings), traffic.counts()
    fetched = 0
    if before_counters and after_counters:
        fetched = after_counters.minus(before_counters).origin_requests
    return (fetched + after_origin - before_origin) / seconds


def run_edge_loss(
    settings: Settings,
    kill: object,
    restart: object,
    stop: threading.Event,
    *,
    before_s: float,
    down_s: float,
    recover_within_s: float,
    rate: float,
) -> str:
    """Traffic through the edge; measure; kill the edge; measure the origin alone; bring
    the edge back; wait until its hit ratio is above 0.9 again (fail past the limit)."""
    author, posted = _content(settings, MEDIA_TWEETS)
    traffic = EdgeTraffic(settings, _paths(author, posted), rate=rate)
    traffic.start()
    try:
        up_ratio = windowed_hit_ratio(settings, before_s / 2, stop)
        with_edge = _origin_rps(traffic, settings, before_s / 2, stop)
        killed = kill()  # type: ignore[operator]
        without_edge = _origin_rps(traffic, settings, down_s, stop)
        restarted = restart()  # type: ignore[operator]
        back_at = time.monotonic()
        recovered_s = _await_hit_ratio(settings, 0.9, recover_within_s, stop)
        _, _, errors = traffic.counts()
    finally:
        traffic.stop()
    if recovered_s is None:
        raise FaultFailed(
            f"the edge's hit ratio stayed under 0.9 for {recover_within_s:.0f}s after it came back"
        )
    ratio = "n/a" if up_ratio is None else f"{up_ratio:.2f}"
    return (
        f"{killed}; origin load {with_edge:.0f} req/s with the edge (hit ratio {ratio}), "
        f"{without_edge:.0f} req/s without it ({errors} reads failed everywhere); {restarted}; "
        f"hit ratio above 0.9 again {recovered_s:.1f}s after the restart "
        f"({time.monotonic() - back_at:.1f}s measured, limit {recover_within_s:.0f}s)"
    )


def _await_hit_ratio(
    settings: Settings, wanted: float, within_s: float, stop: threading.Event
) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < within_s and not stop.is_set():
        ratio = windowed_hit_ratio(settings, 2.0, stop)
        if ratio is not None and ratio > wanted:
            return time.monotonic() - started
    return None


def run_edge_stale(
    settings: Settings, stop: threading.Event, *, tweets: int, window_s: float, watch_s: float
) -> str:
    """Delete tweets the edge holds, under traffic; after each purge window, any edge
    answer that still shows the tweet or its image is stale, and fails the action."""
    author, posted = _content(settings, tweets)
    traffic = EdgeTraffic(settings, _paths(author, posted), rate=60)
    traffic.start()
    stale: list[str] = []
    checked = 0
    try:
        stop.wait(2.0)  # every URL read through the edge, and cached
        for item in posted:
            author.delete(item.tweet_id)
            stop.wait(window_s)
            found, reads = _stale_reads(settings, author, item, watch_s, stop)
            stale += found
            checked += reads
    finally:
        traffic.stop()
    if stale:
        raise FaultFailed(f"the edge served deleted tweets after the purge window: {stale[:5]}")
    return (
        f"deleted {len(posted)} tweets the edge held, under traffic; none served by the edge "
        f"after {window_s:g}s ({checked} edge reads checked over {watch_s:g}s each)"
    )


def _stale_reads(
    settings: Settings, author: Author, item: Posted, watch_s: float, stop: threading.Event
) -> tuple[list[str], int]:
    stale: list[str] = []
    reads = 0
    timeline = f"/api/v1/users/{author.user_id}/tweets"
    deadline = time.monotonic() + watch_s
    while time.monotonic() < deadline and not stop.is_set():
        for path in (f"/api/v1/tweets/{item.tweet_id}", item.media_path):
            status, _ = edge_status(settings, path)
            reads += 1
            if status == 200:
                stale.append(path)
        status, text = edge_status(settings, timeline)
        reads += 1
        if status == 200 and item.tweet_id in text:
            stale.append(f"{timeline} (lists {item.tweet_id})")
        stop.wait(0.2)
    return stale, reads
