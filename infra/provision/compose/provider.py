"""The compose provider: chirp's stack from docker-compose.yml on the local Docker engine.

`compose_up` builds the chirp image, brings the data services up healthy,
runs the one-shot bootstrap (schema, tables, topics, indices), then brings
everything else up and waits until every healthcheck passes. `compose_down`
removes the containers and keeps the named volumes unless asked to purge.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from chirp.core.errors import ComponentFailed, MissingDependency
from chirp.core.settings import Settings
from chirp.infra.provision.compose.env import COMPOSE_GATEWAYS, COMPOSE_SENTINELS, write_env_file
from chirp.infra.provision.compose.project import PACKAGE_ROOT, project_dir
from chirp.stack import objectstore

REPO_ROOT = PACKAGE_ROOT
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
"""In a checkout; an installed chirp runs a staged copy (`project`)."""
DATA_SERVICES = (
    "kafka",
    "redis",
    "redis-replica",
    *COMPOSE_SENTINELS,
    "dynamodb",
    "postgres",
    "postgres-replica",
    "opensearch",
    "objectstore",
)
"""Started and healthy before the bootstrap runs; every chirp container waits for them."""

_PROBE_TIMEOUT_S = 30.0
_BUILD_TIMEOUT_S = 1800.0
# First runs pull about 2 GB of images before any healthcheck can pass.
_PULL_ALLOWANCE_S = 900.0
_BOOTSTRAP_TIMEOUT_S = 600.0


def compose_up(settings: Settings, console: Console) -> None:
    """Start the whole stack with Docker Compose, create its schema, wait until healthy."""
    docker = require_docker()
    env_file = write_env_file(settings)
    wait_s = int(settings.start_timeout_s)
    up_timeout = settings.start_timeout_s + _PULL_ALLOWANCE_S

    console.print("[bold]compose:[/] building the chirp image")
    _compose(docker, env_file, ["build"], timeout=_BUILD_TIMEOUT_S)
    console.print("[bold]compose:[/] starting the data services")
    _compose(
        docker,
        env_file,
        ["up", "--detach", "--wait", "--wait-timeout", str(wait_s), *DATA_SERVICES],
        timeout=up_timeout,
    )
    _ensure_media_bucket(settings)
    console.print("[bold]compose:[/] creating schema, tables, topics and indices")
    _compose(
        docker,
        env_file,
        ["run", "--rm", "bootstrap"],
        timeout=_BOOTSTRAP_TIMEOUT_S,
        profiles=("setup",),
    )
    console.print("[bold]compose:[/] starting gateways, workers and the load balancer")
    _compose(
        docker,
        env_file,
        ["up", "--detach", "--wait", "--wait-timeout", str(wait_s), "--remove-orphans"],
        timeout=up_timeout,
    )
    _print_endpoints(settings, console)


def compose_down(settings: Settings, purge: bool, console: Console) -> None:
    """Remove the stack's containers; its named volumes stay unless `purge`."""
    docker = require_docker()
    env_file = write_env_file(settings)
    args = ["down", "--remove-orphans", "--timeout", str(int(settings.stop_grace_s))]
    if purge:
        args.append("--volumes")
    _compose(
        docker,
        env_file,
        args,
        timeout=settings.stop_grace_s * 4 + 120,
        profiles=("setup",),
    )
    kept = "removed its data volumes" if purge else "kept its data volumes (--purge removes them)"
    console.print(f"[bold]compose:[/] stack stopped; {kept}")


def require_docker() -> str:
    """The docker CLI's path, once the engine answers and the compose plugin is there."""
    docker = shutil.which("docker")
    if docker is None:
        raise MissingDependency(
            "the docker CLI", "install Docker Engine: https://docs.docker.com/engine/install/"
        )
    if not _succeeds([docker, "info", "--format", "{{.ServerVersion}}"]):
        raise MissingDependency(
            "a running Docker engine (`docker info` fails)",
            "start it (`sudo systemctl start docker`, or open Docker Desktop), "
            "or use --provider local",
        )
    if not _succeeds([docker, "compose", "version"]):
        raise MissingDependency(
            "the Docker Compose plugin (`docker compose`)",
            "apt-get install docker-compose-plugin, see https://docs.docker.com/compose/install/",
        )
    return docker


def compose_command(docker: str, env_file: Path, profiles: tuple[str, ...] = ()) -> list[str]:
    """The `docker compose` prefix every call uses: the project's file and the settings' env
    (the env file is in the run directory, which holds the staged project if any)."""
    project = project_dir(env_file.parent)
    command = [
        docker,
        "compose",
        "--file",
        str(project / "docker-compose.yml"),
        "--project-directory",
        str(project),
        "--env-file",
        str(env_file),
    ]
    for profile in profiles:
        command += ["--profile", profile]
    return command


def _compose(
    docker: str,
    env_file: Path,
    args: list[str],
    timeout: float,
    profiles: tuple[str, ...] = (),
) -> None:
    """Run one compose command with its output on the terminal; fail with one line."""
    command = [*compose_command(docker, env_file, profiles), *args]
    try:
        result = subprocess.run(command, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise ComponentFailed(
            "docker compose", f"`docker compose {args[0]}` did not finish within {timeout:.0f} s"
        ) from error
    if result.returncode != 0:
        raise ComponentFailed(
            "docker compose",
            f"`docker compose {args[0]}` exited with {result.returncode}; its output is above",
        )


def _ensure_media_bucket(settings: Settings) -> None:
    """The bucket and its read-by-key policy, through the published S3 port, as the
    local provider makes them."""
    try:
        client = objectstore.s3_client(settings)
        objectstore.ensure_bucket(client, settings.objectstore_bucket)
    except (BotoCoreError, ClientError) as error:
        raise ComponentFailed(
            "objectstore", f"could not create the bucket {settings.objectstore_bucket}: {error}"
        ) from error


def _succeeds(command: list[str]) -> bool:
    """Whether a quick probe command exits 0 (a hang counts as failure)."""
    try:
        result = subprocess.run(command, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return False
    return result.returncode == 0


def _print_endpoints(settings: Settings, console: Console) -> None:
    host = settings.host
    console.print(f"[bold]compose:[/] API       http://{host}:{settings.lb_port}")
    console.print(f"[bold]compose:[/] LB stats  http://{host}:{settings.lb_stats_port}/stats")
    console.print(f"[bold]compose:[/] edge      {settings.edge_base_url}")
    console.print(f"[bold]compose:[/] S3        {settings.objectstore_endpoint}")
    for number in range(1, COMPOSE_GATEWAYS + 1):
        port = settings.gateway_base_port + number - 1
        console.print(f"[bold]compose:[/] gateway-{number} http://{host}:{port}")
    replica = settings.postgres_replica_base_port
    console.print(
        f"[bold]compose:[/] PostgreSQL primary {host}:{settings.postgres_port}, "
        f"replica {host}:{replica}"
    )
    console.print(
        f"[bold]compose:[/] Redis primary {host}:{settings.redis_port}, "
        f"replica {host}:{settings.redis_replica_port}"
    )
    sentinels = ", ".join(
        f"{host}:{settings.sentinel_base_port + n}" for n in range(len(COMPOSE_SENTINELS))
    )
    console.print(f"[bold]compose:[/] Sentinels ({settings.redis_master_name}) {sentinels}")
    # Sentinel names the primary by its in-network name (`redis`), which this host cannot
    # resolve; host-side commands talk to the published primary port instead.
    console.print(
        "[bold]compose:[/] for chirp seed/load/chaos from this host: export "
        "CHIRP_REDIS_SENTINEL=false (the host cannot resolve the containers' names)"
    )
