"""Notifications: the worker that fills per-user inboxes with mentions, follows,
likes and retweets, and `GET /notifications` over them."""

from __future__ import annotations

__all__ = ["inbox", "routes", "schemas", "worker"]
