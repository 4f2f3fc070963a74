"""The one settings object of chirp.

Every knob reads from a `CHIRP_*` environment variable, then from an optional
`chirp.toml` in the working directory, then falls back to the default below.
Nothing else in the project reads `os.environ` for configuration. The command
line's options take their defaults from here too (`chirp config` lists them all,
with where each value came from); an option given on the command line wins.

Settings marked `exclude=True` steer the `chirp` command on this machine only:
they are left out of `model_dump()`, so they are neither handed to the stack's
processes nor part of the schema's fingerprint. Settings marked `repr=False` are
secrets: never printed.

Not settings: the names chirp writes for docker compose's own `${...}` interpolation
(`CHIRP_ENV_FILE`, `CHIRP_OPENSEARCH_IMAGE_TAG`, `CHIRP_GATEWAY_<N>_PORT`,
`CHIRP_SENTINEL_<N>_PORT`), derived from the settings here and read by compose alone.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, TypeAdapter, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from chirp.core.errors import ConfigError


class Settings(BaseSettings):
    """Ports, paths, sizes and versions of one chirp stack."""

    model_config = SettingsConfigDict(env_prefix="CHIRP_", toml_file="chirp.toml", extra="ignore")

    run_dir: Path = Field(
        default=Path(".chirp"), description="Pids, logs and data of the running stack"
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "chirp",
        description="Downloaded server jars, shared by stacks",
    )
    host: str = Field(
        default="127.0.0.1", description="the address every local listener binds and clients reach"
    )

    lb_port: int = Field(
        default=8080, description="HAProxy, the load balancer in front of the gateways"
    )
    lb_stats_port: int = Field(default=8404, description="HAProxy's stats page")
    gateway_base_port: int = Field(default=8101, description="gateway N listens on base + N - 1")
    gateways: int = Field(
        default=2,
        ge=1,
        le=16,
        description="gateway processes behind HAProxy (`chirp up --gateways`)",
    )

    redis_port: int = Field(default=6379, description="Redis primary")
    postgres_port: int = Field(default=5432, description="PostgreSQL primary")
    postgres_replicas: int = Field(
        default=1, ge=0, le=4, description="streaming read replicas of PostgreSQL"
    )
    postgres_replica_base_port: int = Field(
        default=5433, description="replica N listens on base + N - 1"
    )
    redis_replica_port: int = Field(default=6380, description="Redis replica (with Sentinel)")
    redis_sentinel: bool = Field(
        default=True, description="a Redis replica and three Sentinels that fail over to it"
    )
    sentinel_base_port: int = Field(
        default=26379, description="the three Sentinels listen on base, base + 1, base + 2"
    )
    redis_master_name: str = Field(default="chirp", description="the name Sentinel monitors")
    sentinel_down_after_ms: int = Field(
        default=2_000,
        description="Sentinel deems the primary down after this long without an answer",
    )
    sentinel_failover_timeout_ms: int = Field(
        default=10_000, description="Sentinel's limit on one failover"
    )
    dynamodb_port: int = Field(default=8000, description="DynamoDB Local")
    kafka_port: int = Field(default=9092, description="Kafka broker")
    kafka_controller_port: int = Field(default=9093, description="Kafka's KRaft controller")
    opensearch_port: int = Field(default=9200, description="OpenSearch HTTP")
    opensearch_transport_port: int = Field(default=9300, description="OpenSearch transport")

    # Where each data service is reached when it is not on `host` (compose: its service name).
    redis_host: str | None = Field(
        default=None,
        description="where Redis is reached when not on `host` (compose: its service name)",
    )
    postgres_host: str | None = Field(
        default=None, description="where PostgreSQL is reached when not on `host`"
    )
    dynamodb_host: str | None = Field(
        default=None, description="where DynamoDB is reached when not on `host`"
    )
    kafka_host: str | None = Field(
        default=None, description="where Kafka is reached when not on `host`"
    )
    opensearch_host: str | None = Field(
        default=None, description="where OpenSearch is reached when not on `host`"
    )
    postgres_replica_hosts: str | None = Field(
        default=None, description="replicas as host:port,host:port (compose); else host + ports"
    )
    sentinel_hosts: str | None = Field(
        default=None, description="Sentinels as host:port,host:port (compose); else host + ports"
    )
    read_your_writes_s: float = Field(
        default=5.0, ge=0, description="after a follow write, the writer's reads go to the primary"
    )

    kafka_version: str = Field(
        default="4.1.1", description="Kafka release downloaded into the cache"
    )
    dynamodb_version: str = Field(
        default="2.6.1", description="DynamoDB Local release downloaded into the cache"
    )
    opensearch_version: str = Field(
        default="2.19.1.0", description="OpenSearch release downloaded into the cache"
    )
    java_home: Path | None = Field(
        default=None, description="JDK for the JVM servers; found when unset"
    )

    kafka_heap_mb: int = Field(default=512, description="Kafka's JVM heap")
    dynamodb_heap_mb: int = Field(default=512, description="DynamoDB Local's JVM heap")
    opensearch_heap_mb: int = Field(default=1024, description="OpenSearch's JVM heap")
    redis_maxmemory_mb: int = Field(default=512, description="Redis maxmemory")

    kafka_partitions: int = Field(default=6, description="partitions per topic")
    postgres_db: str = Field(default="chirp", description="PostgreSQL database name")
    postgres_user: str = Field(default="postgres", description="PostgreSQL user")
    postgres_standby_ack_timeout_s: float = Field(
        default=1.0,
        ge=0,
        description=(
            "how long an acknowledged PostgreSQL write (sign-up, follow, token) waits for a"
            " streaming replica to flush it; past that, or with none streaming, it is"
            " acknowledged anyway (0 turns the wait off)"
        ),
    )

    worker_metrics_base_port: int = Field(
        default=8201,
        description="worker metrics ports: relay, fanout, search-indexer, ... in order",
    )
    prometheus_port: int = Field(
        default=9090, description="Prometheus (skip with `chirp up --no-prometheus`)"
    )
    redis_exporter_port: int = Field(
        default=9121, description="the Redis exporter Prometheus scrapes"
    )
    postgres_exporter_port: int = Field(
        default=9187, description="the PostgreSQL exporter Prometheus scrapes"
    )

    node_id: int = Field(default=0, ge=0, le=1023, description="this process's id in tweet ids")

    # The stack's behaviour: limits, tiers, caches.
    feed_max: int = Field(default=800, description="tweet ids kept per home feed")
    push_threshold: int = Field(default=1_000, description="below: push to every follower")
    celebrity_threshold: int = Field(default=100_000, description="above: no push, merged on read")
    active_days: int = Field(
        default=7, description="middle tier pushes to followers active this recently"
    )
    celeb_max: int = Field(
        default=200,
        description="recent tweets read per followed celebrity when a feed is merged on read",
    )
    tweets_per_hour: int = Field(default=100, description="posts per user per hour (429 past it)")
    requests_per_hour: int = Field(
        default=1_000, description="API requests per user per hour (429 past it)"
    )
    max_body_bytes: int = Field(
        default=16_384, description="largest request body the gateways accept (413 past it)"
    )
    tweet_cache_ttl_s: int = Field(
        default=600, description="how long a tweet stays in the Redis tweet cache"
    )
    user_cache_ttl_s: int = Field(
        default=600, description="how long a user profile stays in the Redis cache"
    )
    trending_cache_s: int = Field(
        default=60, description="how long the trending list is cached (gateway and edge)"
    )
    trending_window_s: int = Field(
        default=3_600, description="the sliding window trending counts hashtags over"
    )
    backpressure_lag: int = Field(
        default=5_000, description="fan-out lag above which posts get 429"
    )
    worker_max_attempts: int = Field(
        default=3, description="tries per message before a worker gives it up"
    )
    degraded_max_concurrency: int = Field(
        default=4, description="database reads at once, per gateway"
    )
    breaker_fail_max: int = Field(
        default=3, description="Redis failures in a row that open a gateway's circuit breaker"
    )
    breaker_reset_s: float = Field(
        default=5.0, description="how long the breaker stays open before trying Redis again"
    )
    relay_poll_s: float = Field(
        default=0.05, description="the relay's shortest pause between polls while messages arrive"
    )

    trace_sample_ratio: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="share of requests whose journey is traced (a request sent with "
        "X-Chirp-Trace: 1 always is)",
    )
    trace_file_max_mb: int = Field(
        default=64, ge=1, description="each process's span file rotates at this size"
    )

    # How often the background loops wake while nothing happens (the idle stack's cost).
    relay_idle_poll_s: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description="the relay's longest pause between polls while nothing arrives; a "
        "gateway's nudge after each write wakes it at once (1 s while it cannot hear them)",
    )
    relay_shard_refresh_s: float = Field(
        default=60.0, gt=0, description="how often the relay looks for new stream shards"
    )
    lag_interval_s: float = Field(
        default=2.0, gt=0, le=30, description="how often the relay measures consumer lag"
    )
    worker_poll_s: float = Field(
        default=1.0, gt=0, le=10, description="a worker's longest wait for a message"
    )

    # The edge: media in an S3-compatible object store, Varnish in front of it and the API.
    objectstore_base_port: int = Field(
        default=8333,
        description="S3 on base; its master, volume, filer, admin and gRPC ports up to base + 9",
    )
    objectstore_host: str | None = Field(
        default=None, description="where the object store is reached when not on `host`"
    )
    objectstore_bucket: str = Field(
        default="chirp-media", description="the bucket media is stored in"
    )
    objectstore_access_key: str | None = Field(
        default=None,
        repr=False,
        description="S3 key; read from the run dir's credentials file when unset",
    )
    objectstore_secret_key: str | None = Field(
        default=None, repr=False, description="S3 secret; read with the key when unset"
    )
    edge_port: int = Field(
        default=8088, description="Varnish, the edge cache in front of the API and media"
    )
    edge_admin_port: int = Field(default=8087, description="Varnish's admin port")
    edge_exporter_port: int = Field(
        default=9131, description="the Varnish exporter Prometheus scrapes"
    )
    objectstore_local: bool = Field(
        default=True,
        description="SeaweedFS at objectstore_host:objectstore_base_port with these keys; "
        "false: Amazon S3 in aws_region with the AWS credential chain (the task role)",
    )
    edge_host: str | None = Field(
        default=None, description="where the purgers reach the edge; host when unset"
    )
    edge_cache_mb: int = Field(default=256, ge=16, description="Varnish's malloc storage")
    edge_url: str | None = Field(
        default=None, description="how clients reach the edge; http://host:edge_port when unset"
    )
    edge_cloudfront_distribution_id: str | None = Field(
        default=None, description="on AWS: purges become invalidations of this distribution"
    )
    media_max_bytes: int = Field(default=5 * 1024 * 1024, description="largest media upload")
    media_per_hour: int = Field(default=100, description="uploads per user per hour")
    media_unused_keep_s: int = Field(
        default=24 * 3600, description="media never attached to a tweet is deleted after this"
    )
    public_cache_s: int = Field(
        default=5, ge=0, description="edge and browser caching of public reads (seconds)"
    )

    start_timeout_s: float = Field(
        default=180.0, description="how long `chirp up` waits for a component to pass its probe"
    )
    stop_grace_s: float = Field(
        default=20.0, description="how long `chirp down` waits after SIGTERM before SIGKILL"
    )

    # Off one machine: managed AWS services, node leases, a metrics-only port. The AWS
    # provider sets these in each task (README: "Going to AWS"); the defaults are local.
    aws_region: str | None = Field(
        default=None,
        validation_alias=AliasChoices("chirp_aws_region", "aws_region", "aws_default_region"),
        description="AWS region of the managed services: CHIRP_AWS_REGION, else AWS_REGION, "
        "else AWS_DEFAULT_REGION, else the AWS SDK's own configuration",
    )
    dynamodb_local: bool = Field(
        default=True,
        description="DynamoDB Local at dynamodb_host:dynamodb_port with fixed keys; false: "
        "the AWS credential chain (the task role) and the region's endpoints",
    )
    dynamodb_endpoint_url: str | None = Field(
        default=None, description="off DynamoDB Local: a DynamoDB endpoint other than the region's"
    )
    dynamodb_streams_endpoint_url: str | None = Field(
        default=None, description="off DynamoDB Local: a Streams endpoint other than the region's"
    )
    opensearch_scheme: Literal["http", "https"] = Field(
        default="http", description="http, or https for a managed OpenSearch"
    )
    opensearch_aws_sigv4: bool = Field(
        default=False, description="sign OpenSearch requests with the AWS credential chain"
    )
    redis_tls: bool = Field(default=False, description="reach Redis over TLS (rediss://)")
    redis_tls_ca_file: Path | None = Field(
        default=None, description="CA bundle for Redis's certificate; else the system's"
    )
    redis_auth_token: str | None = Field(
        default=None,
        repr=False,
        description="Redis AUTH token (ElastiCache); a secret, never in a file",
    )
    kafka_brokers: str | None = Field(
        default=None, description="bootstrap brokers as host:port,host:port; else kafka_host"
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="how clients reach the brokers (SASL_SSL on AWS MSK)"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] | None = Field(
        default=None, description="SASL mechanism when the protocol uses SASL"
    )
    kafka_sasl_username: str | None = Field(
        default=None, description="SASL user name (its password is kafka_sasl_password)"
    )
    kafka_sasl_password: str | None = Field(
        default=None,
        repr=False,
        description="a secret: from Secrets Manager in the task, never in a file",
    )
    kafka_ssl_ca_file: Path | None = Field(
        default=None, description="CA bundle for the brokers' certificates; else the system's"
    )
    metrics_port: int | None = Field(
        default=None,
        description="gateway: serve /metrics on this port only (not on the API port)",
    )
    node_lease_first: int = Field(
        default=32, ge=0, le=1023, description="lowest node id a process may lease"
    )
    node_lease_last: int = Field(
        default=899, ge=0, le=1023, description="highest node id a process may lease"
    )
    node_lease_ttl_s: float = Field(
        default=30.0, gt=1, description="a leased node id is free this long after its last renewal"
    )

    # Hardening: secrets, tokens and limits (docs/security.md explains each one).
    postgres_password: str | None = Field(
        default=None,
        repr=False,
        description="PostgreSQL's password; else the one `chirp up` generated in the run dir",
    )
    redis_password: str | None = Field(
        default=None,
        repr=False,
        description="Redis's and the Sentinels' password; else the generated one",
    )
    token_ttl_days: int = Field(
        default=30, ge=1, description="a bearer token is refused this many days after issue"
    )
    trusted_proxies: str = Field(
        default="127.0.0.1",
        description="addresses or networks (comma-separated) whose X-Forwarded-For is believed",
    )
    ip_limit_window_s: int = Field(
        default=60, ge=1, description="the window the per-client-IP limits below count in"
    )
    ip_auth_failures: int = Field(
        default=120,
        ge=0,
        description="unknown or expired tokens one client IP may present per window",
    )
    ip_signups: int = Field(default=600, ge=0, description="sign-ups per client IP per window")
    lb_ip_requests: int = Field(
        default=100_000, ge=1, description="requests per client IP per lb_ip_period_s at HAProxy"
    )
    lb_ip_period_s: int = Field(default=10, ge=1, description="HAProxy's per-IP rate period")
    lb_ip_connections: int = Field(
        default=2_000, ge=1, description="connections one client IP may hold open at HAProxy"
    )
    lb_request_timeout_s: int = Field(
        default=5, ge=1, description="HAProxy drops a client this slow to send its headers"
    )
    feed_rebuild_max_followees: int = Field(
        default=1_000, ge=0, description="most recent followees a feed rebuild reads from"
    )
    feed_rebuild_wait_s: float = Field(
        default=0.25, ge=0, description="wait for another reader's rebuild before reading alone"
    )
    max_hashtags: int = Field(default=10, ge=1, description="hashtags kept per tweet")
    max_mentions: int = Field(default=10, ge=1, description="mentions kept per tweet")
    replication_lag_refresh_s: float = Field(
        default=10.0, gt=0, description="how often a gateway reads replication lag"
    )

    # The command line's own defaults (`exclude=True`: this machine's `chirp` only).
    provider: Literal["local", "compose", "aws"] = Field(
        default="local",
        exclude=True,
        description="where `chirp up`, `down`, `status` and `logs` act: processes on this "
        "machine, docker compose, or Pulumi on AWS (--provider)",
    )
    prometheus: bool | None = Field(
        default=None,
        exclude=True,
        description="`chirp up` runs Prometheus and the exporters; unset: as the last "
        "`up` chose, else on (--prometheus/--no-prometheus)",
    )
    profile: str | None = Field(
        default=None,
        exclude=True,
        description="settings profile `chirp up` gives the stack's processes; unset: as the "
        "last `up` chose, else 'default' (--profile)",
    )
    load_scenario: str = Field(
        default="mixed",
        exclude=True,
        description="the scenario plain `locust -f loadtests/locustfile.py` runs",
    )
    load_workers: int | None = Field(
        default=None,
        ge=0,
        le=64,
        exclude=True,
        description="load generator processes; unset: `chirp load` runs the users in its own "
        "process, `chirp bench` one per CPU (--workers)",
    )
    load_expect_workers: int = Field(
        default=0,
        ge=0,
        le=256,
        exclude=True,
        description="`chirp load`: generator workers on other hosts to wait for (--expect-workers)",
    )
    load_master_bind: str = Field(
        default="127.0.0.1",
        exclude=True,
        description="`chirp load`: where the Locust master listens for workers (--master-bind)",
    )
    load_master: str | None = Field(
        default=None,
        exclude=True,
        description="`chirp load-worker`: the master's HOST:PORT to join (--master)",
    )
    load_target: str | None = Field(
        default=None,
        exclude=True,
        description="`chirp load-worker`: the stack's base URL as this host reaches it; "
        "unset: the master's (--target)",
    )
    plot_dir: Path | None = Field(
        default=None,
        exclude=True,
        description="`chirp simulate`: write a PNG and an HTML page into this directory (--plot)",
    )
    capacity_config: Path | None = Field(
        default=None,
        exclude=True,
        description="`chirp simulate capacity`: a TOML file of assumptions (--config)",
    )
    capacity_report: Path | None = Field(
        default=None,
        exclude=True,
        description="`chirp simulate capacity`: a bench or load report whose measured "
        "capacities replace the assumed ones (--from-report)",
    )
    capacity_dau: int | None = Field(
        default=None,
        exclude=True,
        description="`chirp simulate capacity`: daily active users; unset: the design "
        "review's 100M (--dau)",
    )
    fanout_users: int = Field(
        default=1_000_000,
        exclude=True,
        description="`chirp simulate fanout`: users in the generated graph (--users)",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks_only(cls, value: str) -> str:
        for entry in filter(None, (p.strip() for p in value.split(","))):
            ipaddress.ip_network(entry, strict=False)  # ValueError names the bad entry
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def postgres_dsn(self) -> str:
        host = self.postgres_host or self.host
        return f"postgresql://{self.postgres_user}@{host}:{self.postgres_port}/{self.postgres_db}"

    @property
    def postgres_nodes(self) -> list[tuple[str, int]]:
        """Every PostgreSQL node, the first-started primary first, then the replicas."""
        return [
            (self.postgres_host or self.host, self.postgres_port),
            *self.postgres_replica_addresses,
        ]

    @property
    def postgres_write_dsn(self) -> str:
        """All nodes; libpq connects to whichever one accepts writes (the primary, wherever
        a failover moved it)."""
        return self._multi_host_dsn(self.postgres_nodes, "target_session_attrs=read-write")

    @property
    def postgres_read_dsn(self) -> str:
        """Replicas first and spread at random; the primary when no replica answers."""
        nodes = [*self.postgres_replica_addresses, *self.postgres_nodes[:1]]
        return self._multi_host_dsn(
            nodes, "target_session_attrs=prefer-standby&load_balance_hosts=random"
        )

    def _multi_host_dsn(self, nodes: list[tuple[str, int]], options: str) -> str:
        hosts = ",".join(f"{host}:{port}" for host, port in nodes)
        return (
            f"postgresql://{self.postgres_user}@{hosts}/{self.postgres_db}"
            f"?connect_timeout=2&{options}"
        )

    @property
    def kafka_bootstrap(self) -> str:
        if self.kafka_brokers:
            return self.kafka_brokers
        return f"{self.kafka_host or self.host}:{self.kafka_port}"

    @property
    def dynamodb_endpoint(self) -> str:
        return f"http://{self.dynamodb_host or self.host}:{self.dynamodb_port}"

    @property
    def opensearch_url(self) -> str:
        host = self.opensearch_host or self.host
        return f"{self.opensearch_scheme}://{host}:{self.opensearch_port}"

    @property
    def objectstore_endpoint(self) -> str:
        return f"http://{self.objectstore_host or self.host}:{self.objectstore_base_port}"

    @property
    def edge_base_url(self) -> str:
        """Where clients fetch media and cached public reads."""
        return (self.edge_url or f"http://{self.host}:{self.edge_port}").rstrip("/")

    @property
    def traces_dir(self) -> Path:
        """Where every stack process writes its finished spans (one JSON line each)."""
        return self.run_dir / "traces"

    @property
    def postgres_replica_addresses(self) -> list[tuple[str, int]]:
        """Where each read replica listens, in order (empty with no replicas)."""
        if self.postgres_replica_hosts:
            return _addresses(self.postgres_replica_hosts)
        base = self.postgres_replica_base_port
        return [(self.host, base + n) for n in range(self.postgres_replicas)]

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """Where the three Sentinels listen (empty when Sentinel is off)."""
        if not self.redis_sentinel:
            return []
        if self.sentinel_hosts:
            return _addresses(self.sentinel_hosts)
        return [(self.host, self.sentinel_base_port + n) for n in range(3)]

    @property
    def redis_via_sentinel(self) -> bool:
        """Whether clients ask Sentinel for the Redis primary: when Sentinel is on, unless
        Redis lives elsewhere (`redis_host`) and no Sentinels are named there."""
        return self.redis_sentinel and (self.sentinel_hosts is not None or self.redis_host is None)

    @property
    def redis_url(self) -> str:
        scheme = "rediss" if self.redis_tls else "redis"
        return f"{scheme}://{self.redis_host or self.host}:{self.redis_port}/0"


_AS_JSON: TypeAdapter[Any] = TypeAdapter(Any)


def _addresses(spec: str) -> list[tuple[str, int]]:
    pairs = [item.strip().rsplit(":", 1) for item in spec.split(",") if item.strip()]
    return [(host, int(port)) for host, port in pairs]


PROFILES: dict[str, dict[str, int]] = {
    "default": {},
    # The benchmark measures what the stack can do, so the guards that protect it in use
    # (per-user limits, fan-out backpressure) must not be what it measures.
    "bench": {
        "tweets_per_hour": 1_000_000,
        "requests_per_hour": 100_000_000,
        "backpressure_lag": 1_000_000,
        "media_per_hour": 1_000_000,
    },
}
"""Named sets of settings `chirp up --profile NAME` runs the stack's processes with."""


MASK = "********"
"""How a secret that is set shows in `chirp config`."""


@dataclass(frozen=True)
class SettingValue:
    """One setting as `chirp config` shows it: where it may be set and where it came from."""

    name: str
    env_vars: tuple[str, ...]
    value: Any
    """JSON-ready; a secret that is set is `MASK`."""
    source: Literal["default", "env", "chirp.toml"]
    secret: bool
    description: str


def env_vars(name: str) -> tuple[str, ...]:
    """The environment variables a setting reads, the first one chirp's own."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice).upper() for choice in alias.choices)
    return (f"CHIRP_{name.upper()}",)


def read_settings() -> Settings:
    """The settings as they are now (not the cached object); ConfigError in one line when a
    value does not validate."""
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        where = f"{name} ({env_vars(name)[0]})" if name in Settings.model_fields else name
        raise ConfigError(
            f"setting {where} is invalid: {first['msg']}; fix it in the environment or chirp.toml"
        ) from None


def explain_settings() -> list[SettingValue]:
    """Every setting with its current value and source, read now (not the cached object)."""
    settings = read_settings()
    from_env = EnvSettingsSource(Settings)()
    from_toml = TomlConfigSettingsSource(Settings)()
    rows = []
    for name, field in Settings.model_fields.items():
        keys = {name, *(variable.lower() for variable in env_vars(name))}
        source: Literal["default", "env", "chirp.toml"] = (
            "env"
            if keys & from_env.keys()
            else "chirp.toml"
            if keys & from_toml.keys()
            else "default"
        )
        value = getattr(settings, name)
        secret = field.repr is False
        shown = MASK if secret and value is not None else _AS_JSON.dump_python(value, mode="json")
        rows.append(
            SettingValue(name, env_vars(name), shown, source, secret, field.description or "")
        )
    return rows


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
