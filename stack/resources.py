"""The clients a stack process (gateway or worker) shares, opened at start, closed at stop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from opensearchpy import OpenSearch
from psycopg_pool import ConnectionPool

from stack import clients
from stack.ids import IdGenerator
from stack.settings import Settings


@dataclass
class Resources:
    settings: Settings
    redis: redis.Redis
    pg: ConnectionPool
    dynamo: Any
    search: OpenSearch
    ids: IdGenerator

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        return cls(
            settings=settings,
            redis=redis.Redis.from_url(
                settings.redis_url,
                decode_responses=True,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
                max_connections=128,
            ),
            pg=ConnectionPool(
                settings.postgres_dsn,
                min_size=2,
                max_size=16,
                kwargs={"autocommit": True},
                open=True,
                timeout=5,
            ),
            dynamo=clients.dynamodb_client(settings, max_pool=48),
            search=clients.opensearch_client(settings, timeout=2),
            ids=IdGenerator(settings.node_id),
        )

    def close(self) -> None:
        self.pg.close()
        self.redis.close()
