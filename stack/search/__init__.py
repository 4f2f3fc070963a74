"""Search: the indexer worker that keeps OpenSearch in step with tweets and users,
and the `GET /search` use cases over it."""

from __future__ import annotations

__all__ = ["indexer", "routes", "service"]
