"""What a gateway needs as one of a fleet behind a public load balancer.

- Without a node id lease it cannot make ids: writes answer 503, reads go on.
- With `metrics_port` set, Prometheus scrapes that port, which only the monitoring
  network reaches; the API port answers 404 for /metrics, so the public load
  balancer never serves it.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import start_http_server
from starlette.types import ASGIApp, Receive, Scope, Send

from chirp.core.errors import NoNodeLease
from chirp.core.settings import Settings
from chirp.stack.gateway.errors import error_body

METRICS_PATH = "/metrics"


def install(app: FastAPI, settings: Settings) -> None:
    """Register the lease error's answer and, when configured, the separate metrics port."""

    @app.exception_handler(NoNodeLease)
    async def _no_lease(_: Request, error: NoNodeLease) -> JSONResponse:
        return JSONResponse(
            error_body("unavailable", str(error)), status_code=503, headers={"Retry-After": "2"}
        )

    if settings.metrics_port is not None:
        app.add_middleware(HideMetrics)
        start_http_server(settings.metrics_port, addr=settings.host)


class HideMetrics:
    """Answers 404 for /metrics on the API port."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == METRICS_PATH:
            answer = JSONResponse(error_body("not_found", "metrics are on the metrics port"), 404)
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)
