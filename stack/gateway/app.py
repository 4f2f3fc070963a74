"""The gateway app factory: every service router by default, or a named subset.

The AWS deployment runs subsets as separate services behind path routing; locally
each gateway mounts them all.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from chirp.core.settings import Settings
from chirp.stack.edge.caching import CacheHeadersMiddleware, cache_policy
from chirp.stack.gateway import errors, fleet, health, openapi, ping
from chirp.stack.gateway.middleware import BodyLimitMiddleware, MetricsMiddleware
from chirp.stack.gateway.poolstats import PoolStats
from chirp.stack.media.routes import media_body_limits
from chirp.stack.resources import Resources

SERVICES = {
    "users": "chirp.stack.users.routes",
    "tweets": "chirp.stack.tweets.routes",
    "feed": "chirp.stack.feed.routes",
    "search": "chirp.stack.search.routes",
    "trending": "chirp.stack.trending.routes",
    "notifications": "chirp.stack.notify.routes",
    "media": "chirp.stack.media.routes",
}
API_PREFIX = "/api/v1"

# FastAPI's own OpenTelemetry server span is the root of each API request's trace (the
# tweet use cases add theirs under it). Health checks and scrapes are not traced; the
# metrics are Prometheus's, the per-step spans ours.
_TELEMETRY: TelemetryConfig = {
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "exclude": lambda scope: not scope.get("path", "").startswith(API_PREFIX + "/"),
}


def create_app(settings: Settings, services: list[str] | None = None) -> FastAPI:
    """A gateway serving `services` (all when None), plus health and metrics."""
    chosen = list(SERVICES) if services is None else services
    unknown = sorted(set(chosen) - set(SERVICES))
    if unknown:
        raise ValueError(f"unknown services {unknown}; choose from {sorted(SERVICES)}")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.resources = Resources.open(settings)
        stats = PoolStats(app.state.resources).start()
        try:
            yield
        finally:
            stats.stop()
            app.state.resources.close()

    app = FastAPI(
        title="chirp",
        version="1.0",
        summary="A Twitter-like API: users, follows, tweets, feeds, search, trending.",
        description=_description(settings),
        lifespan=lifespan,
        telemetry=_TELEMETRY,
    )
    errors.install(app)
    fleet.install(app, settings)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, per_path=media_body_limits(settings)
    )
    app.add_middleware(CacheHeadersMiddleware, policy=cache_policy(settings))
    app.add_middleware(MetricsMiddleware, node=lambda: app.state.resources.ids.node_id)
    app.include_router(health.router)
    app.include_router(ping.router, prefix=API_PREFIX, responses=openapi.COMMON)
    for name in chosen:
        router = importlib.import_module(SERVICES[name]).router
        app.include_router(router, prefix=API_PREFIX, responses=openapi.COMMON)
    return app


def _description(settings: Settings) -> str:
    return (
        'Errors are JSON `{"error": {"code", "message"}}` with the status each '
        "operation lists; 429 and 503 carry `Retry-After`. A request body may be at most "
        f"{settings.max_body_bytes} bytes (413 past it, chunked or not). Bearer tokens "
        f"expire {settings.token_ttl_days} days after issue; `POST /api/v1/users/{{id}}/tokens` "
        "rotates one. Cursors are the `next_cursor` of the previous page; each parameter "
        "documents its pattern. docs/security.md in the repository has every limit."
    )
