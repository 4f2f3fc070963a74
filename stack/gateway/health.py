"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import time

import anyio
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from chirp.stack.gateway.deps import ResourcesDep
from chirp.stack.gateway.errors import error_body
from chirp.stack.gateway.openapi import errors

router = APIRouter(tags=["health"])
_READY_CACHE_S = 0.5
_last_ready: dict[str, float | bool] = {"at": 0.0, "ok": False}
# The stores are asked from a thread of the check's own, not one of the pool that serves
# requests: on a saturated gateway the check would queue behind them, miss the load
# balancer's timeout, and take every gateway out of rotation at once.
_READY_LIMITER = anyio.CapacityLimiter(1)


@router.get("/healthz", summary="Liveness: the process answers", responses=errors(429))
def get_healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the stores of record answer",
    responses=errors(429, 503, e503="PostgreSQL or DynamoDB unreachable"),
)
async def get_readyz(res: ResourcesDep) -> Response:
    # Redis and OpenSearch are left out on purpose: without the cache the gateway serves
    # degraded feeds, and without search only search fails; neither should take it out of
    # the load balancer.
    now = time.monotonic()
    if now - float(_last_ready["at"]) > _READY_CACHE_S:
        _last_ready["ok"] = await anyio.to_thread.run_sync(
            _stores_answer, res, limiter=_READY_LIMITER
        )
        _last_ready["at"] = now
    if _last_ready["ok"]:
        return JSONResponse({"status": "ready"})
    return JSONResponse(
        error_body("not_ready", "a store of record is unreachable"),
        503,
        headers={"Retry-After": "1"},
    )


def _stores_answer(res: ResourcesDep) -> bool:
    try:
        res.dynamo.list_tables(Limit=1)
    except Exception:
        return False
    return _postgres_answers(res)


def _postgres_answers(res: ResourcesDep) -> bool:
    # Any PostgreSQL node will do: one replica down is no reason to leave the balancer,
    # and while a failover finds no primary, reads still work (writes answer 503). Right
    # after a node dies the read pool may still hand out connections to it, so a failed
    # checkout asks the nodes afresh (the read DSN lists all of them) instead of failing.
    try:
        with res.pg_read.connection(timeout=0.5) as conn:
            conn.execute("SELECT 1")
    except Exception:
        return res.pg_read.server_answers()
    return True


@router.get("/metrics", summary="Prometheus metrics of this gateway", include_in_schema=False)
def get_metrics() -> Response:
    """Figures only: a scrape takes no database connection. HAProxy refuses this path, so
    Prometheus reads it on the gateway's own port."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
