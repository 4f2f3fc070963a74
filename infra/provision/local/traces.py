"""One tweet's journey, read back from the span files the stack's processes write.

Every stack process appends its finished spans as JSON lines to its own file
under `settings.traces_dir` (see stack.tracing). Here those files are searched
for the spans of one tweet (every span of its journey carries `chirp.tweet_id`),
and the spans become a timeline: each hop with its service, its start offset
from the request's start, its duration and its parent, and the moment the last
follower's feed had the tweet (the end of the last fan-out write).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chirp.core.errors import TraceNotFound
from chirp.core.settings import Settings
from chirp.stack.schema import topics
from chirp.stack.tracing import HOP, TWEET_ID, tweet_needle

FEED_HOP = "feed"
"""Fan-out writes into home feeds (and a celebrity's list): the tweet is readable after it."""
COMPLETE_HOPS = frozenset({"gateway", "store", "publish", FEED_HOP, "index"})
"""The hops `--wait` waits for: the request's own (each process writes its spans to its
file a moment after they end, in its own time) and the tweet in its followers' feeds and
searchable."""
_MS = 1_000_000


@dataclass(frozen=True)
class Span:
    """One finished span as a stack process wrote it."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str
    service: str
    start_ns: int
    end_ns: int
    status: str
    attributes: dict[str, Any]
    error: str | None = None

    @property
    def hop(self) -> str:
        return str(self.attributes.get(HOP, "other"))

    @classmethod
    def parse(cls, line: bytes | str) -> Span | None:
        """The span on one line; None for a line that is not one (a torn last line)."""
        try:
            raw = json.loads(line)
            return cls(
                trace_id=raw["trace_id"],
                span_id=raw["span_id"],
                parent_id=raw.get("parent_id"),
                name=raw["name"],
                kind=raw.get("kind", "INTERNAL"),
                service=raw.get("service", "?"),
                start_ns=int(raw["start_ns"]),
                end_ns=int(raw["end_ns"]),
                status=raw.get("status", "UNSET"),
                attributes=dict(raw.get("attributes") or {}),
                error=raw.get("error"),
            )
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Hop:
    """A span placed on the timeline: offsets in ms from the root span's start."""

    hop: str
    name: str
    service: str
    start_ms: float
    duration_ms: float
    depth: int
    span_id: str
    parent_id: str | None
    """The parent span's id when the parent is in this timeline."""
    status: str
    attributes: dict[str, Any]

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.duration_ms


@dataclass(frozen=True)
class Timeline:
    """One tweet's journey, hops in causal order (parents before children, then by start)."""

    tweet_id: int
    trace_id: str
    hops: list[Hop]
    feeds_done_ms: float | None
    """When the last fan-out write ended: the last follower's feed had the tweet."""
    followers_reached: int

    @property
    def hop_names(self) -> set[str]:
        return {h.hop for h in self.hops}

    @property
    def complete(self) -> bool:
        """Every hop of `COMPLETE_HOPS` reported (a retweet is never indexed, so all but
        that for one): the journey `--wait` waits for is over."""
        retweet = any(
            h.attributes.get("messaging.destination") == topics.RETWEET_CREATED for h in self.hops
        )
        return self.hop_names >= (COMPLETE_HOPS - {"index"} if retweet else COMPLETE_HOPS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tweet_id": str(self.tweet_id),
            "trace_id": self.trace_id,
            "feeds_done_ms": self.feeds_done_ms,
            "followers_reached": self.followers_reached,
            "complete": self.complete,
            "hops": [asdict(h) for h in self.hops],
        }


def span_files(traces_dir: Path) -> list[Path]:
    """Every span file of the run, rotated ones included."""
    return sorted(traces_dir.glob("*.jsonl")) if traces_dir.is_dir() else []


class SpanScanner:
    """Gathers one tweet's spans from span files (lines without its id are never parsed),
    reading each file only past where the previous scan stopped, so `--wait` can poll big
    files cheaply. A file that shrank or was replaced (rotation) is read again from its
    start; spans are kept by id, once."""

    def __init__(self, tweet_id: int) -> None:
        self.tweet_id = tweet_id
        self._needle = tweet_needle(tweet_id)
        self._done: dict[Path, tuple[int, int]] = {}
        """Per file: its inode, and the bytes of it already scanned (whole lines only)."""
        self._found: dict[tuple[str, str], Span] = {}

    @property
    def spans(self) -> list[Span]:
        return list(self._found.values())

    def scan(self, traces_dir: Path) -> list[Span]:
        for path in span_files(traces_dir):
            self.scan_file(path)
        return self.spans

    def scan_file(self, path: Path) -> None:
        try:
            with path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                inode, offset = self._done.get(path, (stat.st_ino, 0))
                if inode != stat.st_ino or stat.st_size < offset:
                    offset = 0
                handle.seek(offset)
                data = handle.read()
        except OSError:
            return  # rotated away while we looked: its spans are in the other file
        whole = data.rfind(b"\n") + 1  # a line still being written waits for the next scan
        for line in _lines_with(data[:whole], self._needle):
            span = Span.parse(line)
            if span is not None and str(span.attributes.get(TWEET_ID)) == str(self.tweet_id):
                self._found[(span.trace_id, span.span_id)] = span
        self._done[path] = (stat.st_ino, offset + whole)


def _lines_with(data: bytes, needle: bytes) -> Iterator[bytes]:
    at = data.find(needle)
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        if end < 0:
            return
        yield data[start:end]
        at = data.find(needle, end)


def build_timeline(tweet_id: int, spans: list[Span]) -> Timeline | None:
    """The timeline of the tweet's trace (the earliest one, should there be several);
    None without spans."""
    if not spans:
        return None
    first = min(spans, key=lambda s: s.start_ns)
    mine = {s.span_id: s for s in spans if s.trace_id == first.trace_id}
    roots = [s for s in mine.values() if s.parent_id not in mine]
    origin = min(s.start_ns for s in roots)
    children: dict[str | None, list[Span]] = {}
    for span in mine.values():
        parent = span.parent_id if span.parent_id in mine else None
        children.setdefault(parent, []).append(span)
    hops: list[Hop] = []

    def place(span: Span, depth: int) -> None:
        hops.append(
            Hop(
                hop=span.hop,
                name=span.name,
                service=span.service,
                start_ms=round((span.start_ns - origin) / _MS, 3),
                duration_ms=round(max(0, span.end_ns - span.start_ns) / _MS, 3),
                depth=depth,
                span_id=span.span_id,
                parent_id=span.parent_id if span.parent_id in mine else None,
                status=span.status,
                attributes=span.attributes,
            )
        )
        for child in sorted(children.get(span.span_id, []), key=_order):
            place(child, depth + 1)

    for root in sorted(children.get(None, []), key=_order):
        place(root, 0)
    feeds = [h for h in hops if h.hop == FEED_HOP]
    return Timeline(
        tweet_id=tweet_id,
        trace_id=first.trace_id,
        hops=hops,
        feeds_done_ms=max(h.end_ms for h in feeds) if feeds else None,
        followers_reached=sum(int(h.attributes.get("chirp.followers", 0)) for h in feeds),
    )


def _order(span: Span) -> tuple[int, str]:
    return span.start_ns, span.service


def wait_for_timeline(
    settings: Settings, tweet_id: int, wait_s: float = 0, poll_s: float = 0.5
) -> Timeline:
    """The tweet's timeline once it is `complete`, or whatever there is after `wait_s`;
    TraceNotFound when there is nothing at all."""
    deadline = time.monotonic() + wait_s
    scanner = SpanScanner(tweet_id)
    while True:
        found = build_timeline(tweet_id, scanner.scan(settings.traces_dir))
        if (found is not None and found.complete) or time.monotonic() >= deadline:
            break
        time.sleep(poll_s)
    if found is None:
        raise TraceNotFound(tweet_id, settings.traces_dir.resolve(), _why(settings, wait_s))
    return found


def _why(settings: Settings, wait_s: float) -> str:
    if not span_files(settings.traces_dir):
        return "the run directory has no span files (is the stack up? `chirp up`)"
    waited = f" after waiting {wait_s:g}s" if wait_s else ""
    return (
        f"no span carries that id{waited} (an unknown id, or a tweet not sampled at "
        f"CHIRP_TRACE_SAMPLE_RATIO={settings.trace_sample_ratio:g}; post with the header "
        "X-Chirp-Trace: 1 to trace it)"
    )
