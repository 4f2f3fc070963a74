"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stack import replication
from stack.gateway.deps import ResourcesDep
from stack.gateway.errors import error_body

router = APIRouter(tags=["health"])
_READY_CACHE_S = 0.5
_last_ready: dict[str, float | bool] = {"at": 0.0, "ok": False}


@router.get("/healthz", summary="Liveness: the process answers")
def get_healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the stores of record answer",
    responses={503: {"description": "PostgreSQL or DynamoDB unreachable"}},
)
def get_readyz(res: ResourcesDep) -> Response:
    # Redis and OpenSearch are left out on purpose: without the cache the gateway serves
    # degraded feeds, and without search only search fails; neither should take it out of
    # the load balancer.
    now = time.monotonic()
    if now - float(_last_ready["at"]) > _READY_CACHE_S:
        _last_ready["ok"] = _stores_answer(res)
        _last_ready["at"] = now
    if _last_ready["ok"]:
        return JSONResponse({"status": "ready"})
    return JSONResponse(error_body("not_ready", "a store of record is unreachable"), 503)


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


@router.get("/metrics", summary="Prometheus metrics of this gateway process")
def get_metrics(res: ResourcesDep) -> Response:
    _refresh_replication_lag(res)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _refresh_replication_lag(res: ResourcesDep) -> None:
    if res.pg_read is res.pg:
        return
    try:
        with res.pg.connection(timeout=0.5) as conn:
            replication.export(replication.replica_lag(conn))
    except Exception:  # no primary right now (a failover): keep the last figures
        return
