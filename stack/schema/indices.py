"""OpenSearch indices of the stack and their idempotent creation."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch

TWEETS_INDEX = "tweets"
USERS_INDEX = "users"

# One node: replicas would never be assigned, and the cluster would stay yellow.
_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"}

INDEX_SPECS: dict[str, dict[str, Any]] = {
    TWEETS_INDEX: {
        "settings": _SETTINGS,
        "mappings": {
            "properties": {
                "tweet_id": {"type": "keyword"},
                "user_id": {"type": "keyword"},
                "username": {"type": "keyword"},
                "text": {"type": "text", "analyzer": "standard"},
                "hashtags": {"type": "keyword"},
                "mentions": {"type": "keyword"},
                "created_at": {"type": "date"},
                "version": {"type": "long"},
                "deleted": {"type": "boolean"},
            }
        },
    },
    USERS_INDEX: {
        "settings": _SETTINGS,
        "mappings": {
            "properties": {
                "user_id": {"type": "keyword"},
                "username": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
                "display_name": {"type": "text"},
                "created_at": {"type": "date"},
            }
        },
    },
}


def create_indices(client: OpenSearch) -> list[str]:
    """Create every missing index with its mapping; returns those created."""
    created = []
    for name, body in INDEX_SPECS.items():
        if client.indices.exists(index=name):
            continue
        client.indices.create(index=name, body=body)
        created.append(name)
    return created
