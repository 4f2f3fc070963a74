"""`GET /api/v1/ping`: the cheapest authenticated call, the ceiling `chirp bench` divides by.

It passes everything a real API call passes (the load balancer, the gateway's middleware,
the request span, bearer-token lookup, the hourly request limit and the activity mark)
and then does no work of its own, so a route's throughput over this one's is the share
of the path's limit its own work leaves.
"""

from __future__ import annotations

from fastapi import APIRouter

from chirp.stack.gateway.deps import CurrentUser
from chirp.stack.gateway.openapi import AUTHENTICATED

router = APIRouter(tags=["health"])


@router.get(
    "/ping", summary="Authenticated no-op: the benchmark's ceiling", responses=AUTHENTICATED
)
def get_ping(caller: CurrentUser) -> dict[str, str]:
    return {"user_id": str(caller)}
