"""Trending: hashtag counts per minute and scope, the design review's score over a sliding
window, the worker that ranks `trending:{scope}`, and `GET /trending` over it."""

from __future__ import annotations

__all__ = ["lang", "routes", "schemas", "score", "store", "worker"]
