"""A tiny JSON client for the API through the load balancer, timing every call.

Standard library only, one connection per request: the drill measures what a client
sees, and a failed request must never raise, only say how it failed.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One answer, or why there was none (`status` None)."""

    status: int | None
    latency_ms: float
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    error: str | None = None

    @property
    def node(self) -> str | None:
        """Which gateway answered (`X-Chirp-Node`), when one did."""
        return self.headers.get("x-chirp-node")

    @property
    def api_error(self) -> bool:
        """The body is the API's JSON error shape: the stack refused on purpose."""
        return isinstance(self.body, dict) and isinstance(self.body.get("error"), dict)

    def outcome(self) -> str:
        """ok, refused (429, or a 503 with the API's JSON error) or error."""
        if self.status is None:
            return "error"
        if self.status < 400:
            return "ok"
        if self.status == 429 or (self.status == 503 and self.api_error):
            return "refused"
        return "error"


class Api:
    """Calls `base_url` (the load balancer); every method returns a Reply, never raises."""

    def __init__(self, base_url: str, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Reply:
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        sent = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=data, headers=sent, method=method)
        started = time.perf_counter()
        try:
            try:
                with urllib.request.urlopen(request, timeout=timeout_s or self.timeout_s) as ok:
                    return _reply(ok.status, ok.headers, ok.read(), started)
            except urllib.error.HTTPError as answer:
                with answer:
                    return _reply(answer.code, answer.headers, answer.read(), started)
        except (OSError, ValueError, http.client.HTTPException) as error:  # refused, reset, timeout
            return Reply(None, _elapsed_ms(started), error=f"{type(error).__name__}: {error}")


def _reply(status: int, headers: Any, raw: bytes, started: float) -> Reply:
    latency = _elapsed_ms(started)
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return Reply(status, latency, {k.lower(): v for k, v in headers.items()}, body)


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
