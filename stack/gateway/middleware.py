"""ASGI middleware: request metrics per route, and a cap on request body size."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chirp.stack.gateway.errors import error_body

REQUEST_SECONDS = Histogram(
    "chirp_http_request_seconds",
    "Request latency by route",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2.5, 5),
)
REQUESTS = Counter("chirp_http_requests_total", "Requests by route", ["method", "route", "status"])


class MetricsMiddleware:
    """Times each request under its route template (not its raw path, which has ids), and
    names the answering gateway in `X-Chirp-Node` so load-balancing can be observed."""

    def __init__(self, app: ASGIApp, node: Callable[[], int | None]) -> None:
        self.app = app
        self._node = node

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                node = self._node()
                header = b"-" if node is None else str(node).encode()  # "-": no lease yet
                message["headers"] = [*message.get("headers", ()), (b"x-chirp-node", header)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            labels = (scope["method"], route_template(scope), str(status["code"]))
            REQUEST_SECONDS.labels(*labels).observe(time.perf_counter() - started)
            REQUESTS.labels(*labels).inc()


def route_template(scope: Scope) -> str:
    """The full path with each path parameter's value put back as `{name}`, e.g.
    `/api/v1/users/{user_id}/tweets`; `unmatched` for paths no route took.

    Built from the request, not the route object: routers included with a prefix keep
    only their own part of the path there."""
    if scope.get("route") is None:
        return "unmatched"
    by_value = {str(v): k for k, v in scope.get("path_params", {}).items()}
    parts = [f"{{{by_value[p]}}}" if p in by_value else p for p in scope["path"].split("/")]
    return "/".join(parts)


class BodyLimitMiddleware:
    """Answers 413 to bodies over `max_bytes` (or the path's own limit in `per_path`),
    declared or streamed (chunked), before any handler runs: the body is read whole first
    (bounded by the limit), then handed on."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, per_path: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        first = await self._read(receive, limit)
        if first is None:
            await _too_large(send, limit)
            return
        handed = False

        async def replay() -> Message:
            nonlocal handed
            if not handed:
                handed = True
                return first
            return await receive()  # after the body: a disconnect, when it comes

        await self.app(scope, replay, send)

    @staticmethod
    async def _read(receive: Receive, limit: int) -> Message | None:
        """The whole body as one message (or the disconnect that cut it short); None once
        it passes the limit, the rest left unread."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


async def _too_large(send: Any, max_bytes: int) -> None:
    body = json.dumps(error_body("too_large", f"request body over {max_bytes} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
