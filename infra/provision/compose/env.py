"""The variables docker-compose.yml reads, all taken from chirp's settings.

The compose file has no defaults of its own (`${VAR:?}` everywhere), so these
values are the only source of its ports, versions, heaps and passwords. They are
written to `<run dir>/compose.env` (mode 600), which is both the `--env-file`
compose interpolates from and the `env_file` every chirp container loads, so the
containers run with the same settings as the host's chirp. The passwords and the
object store's S3 keys are the run directory's (`stack.secrets`, `stack.objectstore`),
made at the first `up`. Beside it goes the edge's VCL, rendered as the local
provider renders it but with the servers' in-network names.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings
from chirp.infra.provision.compose import project
from chirp.infra.provision.local.stackproc import WORKER_ROLES
from chirp.infra.provision.local.vcl import EdgeConfig, render_vcl
from chirp.stack import objectstore, secrets

COMPOSE_GATEWAYS = 2
"""docker-compose.yml names its gateways gateway-1 and gateway-2."""
COMPOSE_WORKERS = WORKER_ROLES
"""In the order of their metrics ports (`worker_metrics_base_port` + position), as locally."""
COMPOSE_POSTGRES_REPLICAS = 1
"""docker-compose.yml runs one read replica, postgres-replica."""
COMPOSE_SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")
"""Published on `sentinel_base_port` + position, as the local Sentinels listen."""
OBJECTSTORE_PORT = 8333
"""SeaweedFS's S3 port inside its container, published on `objectstore_base_port`."""
LB_PORT = 8080
"""HAProxy's port inside its container: the edge's API backend."""
PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
"""Where the compose network's addresses come from: the gateways and the edge purger
purge from there, and the host's own purges arrive from its bridge gateway."""

# What belongs to one place or process: host paths and addresses, and the id a
# process stamps into tweet ids. Where chirp runs elsewhere they are set there.
_LOCAL_ONLY_FIELDS = frozenset(
    {
        "node_id",
        "run_dir",
        "cache_dir",
        "java_home",
        "host",
        "redis_host",
        "postgres_host",
        "dynamodb_host",
        "kafka_host",
        "opensearch_host",
        "objectstore_host",
        "edge_host",
        "postgres_replica_hosts",
        "sentinel_hosts",
    }
)


def env_file_path(settings: Settings) -> Path:
    """Where the compose env file lives for this stack."""
    return settings.run_dir.resolve() / "compose.env"


def vcl_path(settings: Settings) -> Path:
    """Where the edge's VCL is written for the Varnish container to mount."""
    return settings.run_dir.resolve() / "compose-edge.vcl"


def edge_config(settings: Settings) -> EdgeConfig:
    """The local provider's edge, pointed at HAProxy and SeaweedFS by service name."""
    return EdgeConfig(
        host="haproxy",
        api_port=LB_PORT,
        objectstore_host="objectstore",
        objectstore_port=OBJECTSTORE_PORT,
        bucket=settings.objectstore_bucket,
        purgers=("127.0.0.1", *PRIVATE_NETWORKS),
    )


def edge_vcl(settings: Settings) -> str:
    return render_vcl(edge_config(settings))


def opensearch_image_tag(version: str) -> str:
    """The opensearchproject/opensearch tag of a Maven version: `2.19.1.0` → `2.19.1`."""
    parts = version.split(".")
    if len(parts) == 4 and parts[3] == "0":
        parts = parts[:3]
    return ".".join(parts)


def compose_env(settings: Settings) -> dict[str, str]:
    """Every variable the compose file and its chirp containers need, as strings."""
    if settings.gateways != COMPOSE_GATEWAYS:
        raise ConfigError(
            f"the compose stack runs exactly {COMPOSE_GATEWAYS} gateways but CHIRP_GATEWAYS is "
            f"{settings.gateways}; unset CHIRP_GATEWAYS or use --provider local"
        )
    if settings.postgres_replicas != COMPOSE_POSTGRES_REPLICAS or not settings.redis_sentinel:
        raise ConfigError(
            f"the compose stack runs {COMPOSE_POSTGRES_REPLICAS} PostgreSQL replica and Redis "
            f"with Sentinel but CHIRP_POSTGRES_REPLICAS is {settings.postgres_replicas} and "
            f"CHIRP_REDIS_SENTINEL is {str(settings.redis_sentinel).lower()}; unset them or "
            "use --provider local"
        )
    env = settings_env(settings)
    env["CHIRP_HOST"] = settings.host
    for number in range(1, COMPOSE_GATEWAYS + 1):
        env[f"CHIRP_GATEWAY_{number}_PORT"] = str(settings.gateway_base_port + number - 1)
    for number in range(1, len(COMPOSE_SENTINELS) + 1):
        env[f"CHIRP_SENTINEL_{number}_PORT"] = str(settings.sentinel_base_port + number - 1)
    for position, worker in enumerate(COMPOSE_WORKERS):
        variable = f"CHIRP_{worker.upper().replace('-', '_')}_METRICS_PORT"
        env[variable] = str(settings.worker_metrics_base_port + position)
    env["CHIRP_OPENSEARCH_IMAGE_TAG"] = opensearch_image_tag(settings.opensearch_version)
    env["CHIRP_ENV_FILE"] = str(env_file_path(settings))
    env["CHIRP_EDGE_VCL"] = str(vcl_path(settings))
    # Media URLs the gateways hand out are fetched by clients on this host.
    env["CHIRP_EDGE_URL"] = settings.edge_base_url
    made = secrets.ensure(settings)
    env["CHIRP_POSTGRES_PASSWORD"] = made.postgres_password or ""
    env["CHIRP_REDIS_PASSWORD"] = made.redis_password or ""
    keys = objectstore.ensure_credentials(settings)
    env["CHIRP_OBJECTSTORE_ACCESS_KEY"] = keys.access_key
    env["CHIRP_OBJECTSTORE_SECRET_KEY"] = keys.secret_key
    return env


def settings_env(settings: Settings) -> dict[str, str]:
    """Every setting that means the same on another machine, as `CHIRP_*` variables.

    Paths and addresses of this host are left out: where the stack runs
    elsewhere (a container, an ECS task) they are set for that place.
    """
    return {
        f"CHIRP_{name.upper()}": _env_value(value)
        for name, value in settings.model_dump().items()
        if value is not None and name not in _LOCAL_ONLY_FIELDS
    }


def write_env_file(settings: Settings) -> Path:
    """Write the compose env file and the edge's VCL under the run directory, and stage
    an installed chirp's compose project there; the env file's path."""
    path = env_file_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    vcl_path(settings).write_text(edge_vcl(settings))
    project.stage(path.parent)
    lines = [f"{key}={_quote(value)}" for key, value in sorted(compose_env(settings).items())]
    header = "# Written by chirp from its settings; edits are overwritten.\n"
    path.write_text(header + "\n".join(lines) + "\n")
    # Settings may carry secrets; the file is for this user's compose runs only.
    path.chmod(0o600)
    return path


def _env_value(value: object) -> str:
    """A setting as pydantic-settings reads it back from the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | Path):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str)


def _quote(value: str) -> str:
    """Single-quote a value so compose takes it literally (no `$` interpolation)."""
    if value and all(c.isalnum() or c in "._-/:@+," for c in value):
        return value
    return "'" + value.replace("'", "\\'") + "'"
