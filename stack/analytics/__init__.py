"""Analytics: the worker that counts activity per minute into PostgreSQL."""

from __future__ import annotations

__all__ = ["store", "worker"]
