"""Factories for the real clients of the five data servers, built from settings."""

from __future__ import annotations

from typing import Any

import boto3
import psycopg
import redis
from botocore.config import Config
from confluent_kafka.admin import AdminClient
from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth, Urllib3HttpConnection
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings
from chirp.stack import secrets

# DynamoDB Local accepts any credentials, but the key id must be letters and digits.
DYNAMODB_LOCAL_KEYS = {"aws_access_key_id": "chirp", "aws_secret_access_key": "chirp"}
# DynamoDB Local runs with -sharedDb, so any region reaches the same tables.
DYNAMODB_LOCAL_REGION = "us-east-1"


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
        settings.redis_url,
        decode_responses=True,
        health_check_interval=30,
        **{**common, **redis_transport_options(settings)},
    )


def redis_transport_options(settings: Settings) -> dict[str, Any]:
    """TLS and AUTH for a Redis reached directly (ElastiCache): the `rediss://` scheme of
    `settings.redis_url` turns TLS on; these verify the server and authenticate."""
    options: dict[str, Any] = {}
    if settings.redis_tls:
        options["ssl_cert_reqs"] = "required"
        if settings.redis_tls_ca_file is not None:
            options["ssl_ca_certs"] = str(settings.redis_tls_ca_file)
    if settings.redis_auth_token:
        options["password"] = settings.redis_auth_token
    return options


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
        config=Config(
            connect_timeout=2,
            read_timeout=10,
            retries={"max_attempts": attempts, "mode": "standard"},
            max_pool_connections=max_pool,
        ),
        **aws_connection(settings, "dynamodb"),
    )


def dynamodb_streams_client(settings: Settings) -> Any:
    """DynamoDB Streams: its own endpoint on AWS; DynamoDB Local serves it on its one port."""
    return boto3.client(
        "dynamodbstreams",
        config=Config(connect_timeout=2, read_timeout=10, retries={"mode": "standard"}),
        **aws_connection(settings, "dynamodbstreams"),
    )


def aws_connection(settings: Settings, service: str) -> dict[str, Any]:
    """Where and as whom a boto3 client of `service` connects.

    DynamoDB Local: its address and fixed keys. Otherwise nothing static: the region from
    the settings (else the SDK's own lookup), the service's regional endpoint unless one
    is configured, and the default credential chain, which on ECS is the task role."""
    if settings.dynamodb_local:
        return {
            "endpoint_url": settings.dynamodb_endpoint,
            "region_name": settings.aws_region or DYNAMODB_LOCAL_REGION,
            **DYNAMODB_LOCAL_KEYS,
        }
    endpoints = {
        "dynamodb": settings.dynamodb_endpoint_url,
        "dynamodbstreams": settings.dynamodb_streams_endpoint_url,
    }
    connection: dict[str, Any] = {"region_name": settings.aws_region}
    if endpoints.get(service):
        connection["endpoint_url"] = endpoints[service]
    return connection


def kafka_admin(settings: Settings) -> AdminClient:
    return AdminClient({**kafka_config(settings), "socket.timeout.ms": 5000, "log_level": 0})


def kafka_config(settings: Settings) -> dict[str, str]:
    """The brokers and how to reach them, for every Kafka client (librdkafka properties)."""
    config = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "security.protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_ssl_ca_file is not None:
        config["ssl.ca.location"] = str(settings.kafka_ssl_ca_file)
    elif settings.kafka_security_protocol.endswith("SSL"):
        config["ssl.ca.location"] = "probe"  # the system's CA bundle, wherever it lives
    if settings.kafka_security_protocol.startswith("SASL_"):
        if not (
            settings.kafka_sasl_mechanism
            and settings.kafka_sasl_username
            and settings.kafka_sasl_password
        ):
            raise ConfigError(
                f"CHIRP_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs "
                "CHIRP_KAFKA_SASL_MECHANISM, CHIRP_KAFKA_SASL_USERNAME and "
                "CHIRP_KAFKA_SASL_PASSWORD"
            )
        config["sasl.mechanism"] = settings.kafka_sasl_mechanism
        config["sasl.username"] = settings.kafka_sasl_username
        config["sasl.password"] = settings.kafka_sasl_password
    return config


def opensearch_client(settings: Settings, *, timeout: float = 10) -> OpenSearch:
    return OpenSearch(
        hosts=[settings.opensearch_url],
        timeout=timeout,
        max_retries=2,
        retry_on_timeout=True,
        **opensearch_transport_options(settings),
    )


def opensearch_transport_options(settings: Settings) -> dict[str, Any]:
    """HTTPS with certificate checks for an `https` endpoint; SigV4-signed requests for an
    Amazon OpenSearch Service domain, with the credential chain's (refreshing) keys."""
    options: dict[str, Any] = {}
    if settings.opensearch_scheme == "https":
        options.update(use_ssl=True, verify_certs=True, ssl_show_warn=True)
    if settings.opensearch_aws_sigv4:
        session = boto3.session.Session(region_name=settings.aws_region)
        credentials = session.get_credentials()
        if credentials is None or not session.region_name:
            raise ConfigError(
                "OpenSearch request signing needs AWS credentials and a region: run with a "
                "task role (or AWS_PROFILE) and CHIRP_AWS_REGION"
            )
        options["http_auth"] = Urllib3AWSV4SignerAuth(credentials, session.region_name, "es")
        options["connection_class"] = Urllib3HttpConnection
    return options
