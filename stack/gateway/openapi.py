"""What the OpenAPI document says about errors: every status a route can answer, each with
the one JSON error shape, and `Retry-After` on every 429 and 503.

Routers declare their own (`errors(401, 404)`); `COMMON` is what any API route can answer:
a body this API cannot parse (400) or over the size limit (413), parameters outside their
schema (422), a limit (429: per caller, per client address at the gateway or HAProxy),
and a store it needs being unavailable (503).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="a stable machine-readable name, e.g. `rate_limited`")
    message: str = Field(description="one line for a person")


class ErrorBody(BaseModel):
    """Every error the API answers, whatever its status."""

    error: ErrorDetail


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
_MEANING = {
    400: "a body that is not JSON this API can read",
    401: "a bearer token is missing, unknown, expired or rotated away",
    403: "the caller may not act on this resource",
    404: "no such resource",
    409: "the request conflicts with the resource's current state",
    413: "the request body is over the size limit (`max_body_bytes`, 16 KiB by default)",
    422: "a parameter or body field outside its documented schema",
    429: "a rate limit was reached: per caller, or per client address (at the gateway "
    "or at the load balancer); retry after `Retry-After` seconds",
    503: "a store this request needs is unavailable; retry after `Retry-After` seconds",
}


def errors(*statuses: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for these statuses; `meanings` (`e404="no such user"`)
    replace the generic description of a status."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": ErrorBody,
            "description": meanings.get(f"e{status}", _MEANING[status]),
        }
        if status in (429, 503):
            entry["headers"] = _RETRY_AFTER
        documented[status] = entry
    return documented


COMMON = errors(400, 413, 422, 429, 503)
"""What any API route can answer."""
AUTHENTICATED = errors(401)
"""What a route that needs a bearer token adds."""
