"""Asking a Prometheus server over its HTTP API: an instant query, a range query, the alerts
it holds. Each answers the `data` of a successful reply; a reply that is not `success`
raises ValueError, a server that does not answer OSError."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


def query(base_url: str, expr: str, at: float | None = None, timeout_s: float = 10.0) -> Any:
    """`GET /api/v1/query`: the instant vector (or scalar) of `expr` now or at `at` (epoch s)."""
    params: dict[str, object] = {"query": expr}
    if at is not None:
        params["time"] = at
    return _get(base_url, "/api/v1/query", params, timeout_s)["result"]


def query_range(
    base_url: str, expr: str, start: float, end: float, step: float, timeout_s: float = 10.0
) -> list[dict[str, Any]]:
    """`GET /api/v1/query_range`: the matrix of `expr` over [start, end] (epoch s), one point
    each `step` seconds: [{"metric": {...}, "values": [[t, "v"], ...]}, ...]."""
    params = {"query": expr, "start": start, "end": end, "step": step}
    result: list[dict[str, Any]] = _get(base_url, "/api/v1/query_range", params, timeout_s)[
        "result"
    ]
    return result


def alerts(base_url: str, timeout_s: float = 2.0) -> list[dict[str, Any]]:
    """`GET /api/v1/alerts`: every pending and firing alert, as Prometheus words them."""
    found: list[dict[str, Any]] = _get(base_url, "/api/v1/alerts", {}, timeout_s)["alerts"]
    return found


def _get(base_url: str, path: str, params: dict[str, object], timeout_s: float) -> Any:
    url = f"{base_url}{path}"
    if params:
        url += f"?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=timeout_s) as answer:
        body = json.loads(answer.read())
    if body.get("status") != "success":
        raise ValueError(f"Prometheus answered {body.get('status')!r}: {body.get('error')}")
    return body["data"]
