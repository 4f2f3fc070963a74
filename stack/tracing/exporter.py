"""Finished spans as JSON lines in a file of this process's own, rotated at a size.

One line per span, flat and small, so `chirp trace` can find a tweet's spans by a
plain substring search before it parses anything (see `tweet_needle`). A file that
grows past `max_bytes` becomes `<name>.1.jsonl` (replacing an older one), so each
process keeps at most twice the limit on disk.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode, format_span_id, format_trace_id

TWEET_ID = "chirp.tweet_id"
"""Attribute every span of a tweet's journey carries: the tweet id as a decimal string."""
HOP = "chirp.hop"
"""Attribute naming the hop a span stands for: gateway, store, publish, consume, feed, ..."""

SUFFIX = ".jsonl"


def tweet_needle(tweet_id: int | str) -> bytes:
    """Bytes every span line of `tweet_id` contains (its id as a JSON string), so a reader
    parses only the lines that may be the tweet's, then checks the attribute itself."""
    return json.dumps(str(tweet_id)).encode()


def span_record(span: ReadableSpan, service: str) -> dict[str, Any]:
    """The JSON object written for one finished span."""
    context = span.get_span_context()
    parent = span.parent
    return {
        "trace_id": format_trace_id(context.trace_id) if context else None,
        "span_id": format_span_id(context.span_id) if context else None,
        "parent_id": format_span_id(parent.span_id) if parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": service,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "error": span.status.description if span.status.status_code is StatusCode.ERROR else None,
        "attributes": dict(span.attributes or {}),
    }


class JsonLinesExporter(SpanExporter):
    """Appends each exported span to `path` as one JSON line; rotates past `max_bytes`."""

    def __init__(self, path: Path, service: str, max_bytes: int) -> None:
        self.path = path
        self.service = service
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._file: Any = None
        self._size = 0

    @property
    def rotated_path(self) -> Path:
        return self.path.with_name(self.path.name.removesuffix(SUFFIX) + ".1" + SUFFIX)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = b"".join(
            json.dumps(span_record(s, self.service), separators=(",", ":")).encode() + b"\n"
            for s in spans
        )
        try:
            with self._lock:
                self._write(lines)
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _write(self, lines: bytes) -> None:
        if self._file is not None and self._size + len(lines) > self.max_bytes and self._size:
            self._file.close()
            self._file = None
            self.path.replace(self.rotated_path)
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
            self._size = self._file.tell()
        self._file.write(lines)
        self._file.flush()  # readers see whole lines as soon as a batch is out
        self._size += len(lines)

    def shutdown(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True
