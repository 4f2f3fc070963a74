"""Factories for the real clients of the five data servers, built from settings."""

from __future__ import annotations

from typing import Any

import boto3
import psycopg
import redis
from botocore.config import Config
from confluent_kafka.admin import AdminClient
from opensearchpy import OpenSearch
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from stack import secrets
from stack.settings import Settings

# DynamoDB Local accepts any credentials, but the key id must be letters and digits.
DYNAMODB_LOCAL_KEYS = {"aws_access_key_id": "chirp", "aws_secret_access_key": "chirp"}


def redis_client(settings: Settings, *, timeout: float = 5, **options: Any) -> redis.Redis:
    """The Redis primary: found through Sentinel when it runs, so a failover needs no
    restart; else the one server at `redis_url`."""
    password = secrets.load(settings).redis_password
    common = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "password": password,
        **options,
    }
    if settings.redis_via_sentinel:
        sentinel = _sentinel(settings, timeout)
        return sentinel.master_for(settings.redis_master_name, decode_responses=True, **common)
    return redis.Redis.from_url(
        settings.redis_url, decode_responses=True, health_check_interval=30, **common
    )


def redis_primary_address(settings: Settings, *, timeout: float = 5) -> tuple[str, int]:
    """Where the Redis primary listens now, for tools that take a host and port."""
    if settings.redis_via_sentinel:
        return _sentinel(settings, timeout).discover_master(settings.redis_master_name)
    return (settings.redis_host or settings.host, settings.redis_port)


def _sentinel(settings: Settings, timeout: float) -> Sentinel:
    return Sentinel(
        settings.sentinel_addresses,
        # One try per Sentinel: a dead one must not delay asking the next.
        sentinel_kwargs={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
            # The Sentinels ask for the same password as the Redis nodes they watch.
            "password": secrets.load(settings).redis_password,
        },
    )


def postgres_password(settings: Settings) -> str | None:
    return secrets.load(settings).postgres_password


def postgres_connection(settings: Settings, *, autocommit: bool = True) -> psycopg.Connection:
    """A connection to the PostgreSQL primary, wherever it runs now."""
    return psycopg.connect(
        settings.postgres_write_dsn,
        connect_timeout=5,
        autocommit=autocommit,
        password=postgres_password(settings),
    )


def dynamodb_client(settings: Settings, *, max_pool: int = 10, attempts: int = 3) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=settings.dynamodb_endpoint,
        region_name="us-east-1",
        config=Config(
            connect_timeout=2,
            read_timeout=10,
            retries={"max_attempts": attempts, "mode": "standard"},
            max_pool_connections=max_pool,
        ),
        **DYNAMODB_LOCAL_KEYS,
    )


def kafka_admin(settings: Settings) -> AdminClient:
    return AdminClient(
        {"bootstrap.servers": settings.kafka_bootstrap, "socket.timeout.ms": 5000, "log_level": 0}
    )


def opensearch_client(settings: Settings, *, timeout: float = 10) -> OpenSearch:
    return OpenSearch(
        hosts=[settings.opensearch_url], timeout=timeout, max_retries=2, retry_on_timeout=True
    )
