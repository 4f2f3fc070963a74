"""docker-compose.yml, its HAProxy config and the compose provider's checks, without an engine."""

from __future__ import annotations

import io
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from infra.compose import compose_down, compose_env, compose_up, write_env_file
from infra.compose.env import COMPOSE_WORKERS, opensearch_image_tag
from infra.compose.provider import COMPOSE_FILE, DATA_SERVICES, REPO_ROOT
from stack.errors import ConfigError, MissingDependency
from stack.settings import Settings

HAPROXY_CFG = REPO_ROOT / "infra" / "compose" / "haproxy.cfg"
GATEWAYS = ("gateway-1", "gateway-2")
WORKERS = ("relay", "fanout", "search-indexer", "trending", "notify", "analytics")
CHIRP_SERVICES = (*GATEWAYS, *WORKERS)
ONE_SHOT_PROFILE = "setup"
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?P<rest>[^}]*)\}")


def _raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _interpolated(settings: Settings) -> dict[str, Any]:
    """The file as compose sees it with chirp's env: `${VAR:?...}` replaced by its value."""
    env = compose_env(settings)
    text = _VARIABLE.sub(lambda m: env[m.group("name")], COMPOSE_FILE.read_text())
    return yaml.safe_load(text)


def _long_running(services: dict[str, Any]) -> dict[str, Any]:
    return {
        name: service for name, service in services.items()
        if ONE_SHOT_PROFILE not in service.get("profiles", [])
    }


def _published(service: dict[str, Any]) -> dict[int, tuple[str, int]]:
    """Container port → (host address, host port) of a service's `ports` entries."""
    found = {}
    for entry in service.get("ports", []):
        host_ip, host_port, container_port = str(entry).rsplit(":", 2)
        found[int(container_port)] = (host_ip, int(host_port))
    return found


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(run_dir=tmp_path / "run")


# --- the file itself ---------------------------------------------------------------------


def test_the_file_parses_and_has_every_service() -> None:
    services = _raw()["services"]
    assert set(services) == {*DATA_SERVICES, "haproxy", "bootstrap", *CHIRP_SERVICES}


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, service in _long_running(_raw()["services"]).items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name


def test_the_bootstrap_is_a_one_shot_run_by_chirp_not_by_up() -> None:
    bootstrap = _raw()["services"]["bootstrap"]
    assert bootstrap["profiles"] == [ONE_SHOT_PROFILE]
    assert bootstrap["restart"] == "no"
    assert bootstrap["command"] == ["python", "-m", "stack.bootstrap"]


def test_dependants_wait_for_healthy_services() -> None:
    services = _raw()["services"]
    dependants = [name for name, s in services.items() if s.get("depends_on")]
    assert set(dependants) == {"haproxy", "bootstrap", *CHIRP_SERVICES}
    for name in dependants:
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends_on.items():
            assert rule == {"condition": "service_healthy"}, f"{name} -> {target}"
            assert "healthcheck" in services[target]
    for name in CHIRP_SERVICES:
        assert set(services[name]["depends_on"]) == set(DATA_SERVICES)
    assert set(services["haproxy"]["depends_on"]) == set(GATEWAYS)


def test_every_variable_is_required_and_chirp_provides_it(settings: Settings) -> None:
    text = COMPOSE_FILE.read_text()
    references = list(_VARIABLE.finditer(text))
    assert references
    env = compose_env(settings)
    for reference in references:
        assert reference.group("rest").startswith(":?"), reference.group(0)
        assert reference.group("name") in env, reference.group("name")
    # No bare $VAR form that would dodge the check.
    assert not re.search(r"\$[A-Za-z_]", text.replace("${", ""))


def test_data_lives_in_named_volumes() -> None:
    raw = _raw()
    for name in DATA_SERVICES:
        mounts = raw["services"][name]["volumes"]
        volume = mounts[0].split(":", 1)[0]
        assert volume in raw["volumes"], name


def test_one_chirp_image_runs_every_role() -> None:
    services = _raw()["services"]
    for name in (*CHIRP_SERVICES, "bootstrap"):
        assert services[name]["image"] == "chirp:local"
        assert services[name]["build"]["context"] == "."
    for name in GATEWAYS:
        assert services[name]["command"] == [
            "python", "-m", "stack.run", "gateway", "--port", "8101",
        ]
    for name in WORKERS:
        assert services[name]["command"] == ["python", "-m", "stack.run", name]
    assert (REPO_ROOT / "Dockerfile").is_file()


# --- agreement with chirp's settings -----------------------------------------------------


def test_ports_are_the_local_providers_on_its_host(settings: Settings) -> None:
    services = _interpolated(settings)["services"]
    host = settings.host
    expected: dict[str, dict[int, int]] = {
        "kafka": {9092: settings.kafka_port},
        "redis": {6379: settings.redis_port},
        "dynamodb": {8000: settings.dynamodb_port},
        "postgres": {5432: settings.postgres_port},
        "opensearch": {9200: settings.opensearch_port},
        "haproxy": {8080: settings.lb_port, 8404: settings.lb_stats_port},
        "gateway-1": {8101: settings.gateway_base_port},
        "gateway-2": {8101: settings.gateway_base_port + 1},
    }
    for position, worker in enumerate(COMPOSE_WORKERS):
        expected[worker] = {8201 + position: settings.worker_metrics_base_port + position}
    for name, ports in expected.items():
        assert _published(services[name]) == {
            inside: (host, outside) for inside, outside in ports.items()
        }, name
    assert (settings.lb_port, settings.gateway_base_port, settings.redis_port) == (8080, 8101, 6379)


def test_moved_ports_move_the_published_ports(tmp_path: Path) -> None:
    moved = Settings(run_dir=tmp_path, redis_port=16379, gateway_base_port=9101, lb_port=9080)
    services = _interpolated(moved)["services"]
    assert _published(services["redis"]) == {6379: ("127.0.0.1", 16379)}
    assert _published(services["gateway-2"]) == {8101: ("127.0.0.1", 9102)}
    assert _published(services["haproxy"])[8080] == ("127.0.0.1", 9080)


def test_workers_are_healthy_while_their_metrics_answer(settings: Settings) -> None:
    assert WORKERS == COMPOSE_WORKERS
    services = _interpolated(settings)["services"]
    for position, worker in enumerate(COMPOSE_WORKERS):
        service = services[worker]
        port = int(service["environment"]["CHIRP_WORKER_METRICS_BASE_PORT"]) + position
        assert f"http://127.0.0.1:{port}/metrics" in service["healthcheck"]["test"][-1]
        assert port in _published(service)


def test_every_chirp_process_has_its_own_node_id(settings: Settings) -> None:
    services = _interpolated(settings)["services"]
    ids = [int(services[name]["environment"]["CHIRP_NODE_ID"])
           for name in (*CHIRP_SERVICES, "bootstrap")]
    assert len(set(ids)) == len(ids)
    assert all(0 <= node <= 1023 for node in ids)
    assert "CHIRP_NODE_ID" not in compose_env(settings)


def test_chirp_containers_reach_each_server_where_it_listens(settings: Settings) -> None:
    services = _interpolated(settings)["services"]
    kafka_listeners = services["kafka"]["environment"]["KAFKA_LISTENERS"]
    for name in CHIRP_SERVICES:
        env = services[name]["environment"]
        inside = Settings.model_validate(
            {key.removeprefix("CHIRP_").lower(): value for key, value in env.items()
             if key.startswith("CHIRP_")}
        )
        assert inside.redis_url == "redis://redis:6379/0"
        assert inside.postgres_dsn == (
            f"postgresql://{settings.postgres_user}@postgres:5432/{settings.postgres_db}"
        )
        assert inside.dynamodb_endpoint == "http://dynamodb:8000"
        assert inside.opensearch_url == "http://opensearch:9200"
        assert inside.kafka_bootstrap == "kafka:19092"
        assert "INTERNAL://0.0.0.0:19092" in kafka_listeners
        # Inside a container the gateway must listen beyond loopback.
        assert inside.host == "0.0.0.0"


def test_containers_load_every_setting_from_chirps_env_file(settings: Settings) -> None:
    services = _interpolated(settings)["services"]
    env_file = str(write_env_file(settings))
    for name in (*CHIRP_SERVICES, "bootstrap"):
        assert services[name]["env_file"] == [env_file]
    written = (settings.run_dir / "compose.env").read_text()
    assert f"CHIRP_POSTGRES_DB={settings.postgres_db}\n" in written
    assert f"CHIRP_KAFKA_PARTITIONS={settings.kafka_partitions}\n" in written
    # Host paths mean nothing inside a container.
    assert "CHIRP_RUN_DIR" not in written and "CHIRP_CACHE_DIR" not in written
    assert stat.S_IMODE((settings.run_dir / "compose.env").stat().st_mode) == 0o600


def test_versions_and_heaps_come_from_settings(settings: Settings) -> None:
    services = _interpolated(settings)["services"]
    assert services["kafka"]["image"] == f"apache/kafka:{settings.kafka_version}"
    assert services["dynamodb"]["image"] == f"amazon/dynamodb-local:{settings.dynamodb_version}"
    assert services["opensearch"]["image"] == (
        f"opensearchproject/opensearch:{opensearch_image_tag(settings.opensearch_version)}"
    )
    assert f"-Xmx{settings.kafka_heap_mb}m" in services["kafka"]["environment"]["KAFKA_HEAP_OPTS"]
    assert f"-Xmx{settings.dynamodb_heap_mb}m" in services["dynamodb"]["command"]
    assert f"-Xmx{settings.opensearch_heap_mb}m" in (
        services["opensearch"]["environment"]["OPENSEARCH_JAVA_OPTS"]
    )
    assert f"{settings.redis_maxmemory_mb}mb" in services["redis"]["command"]
    assert services["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"] == settings.kafka_partitions
    postgres = services["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == (
        settings.postgres_user, settings.postgres_db,
    )


def test_opensearch_image_tag_drops_the_maven_fourth_part() -> None:
    assert opensearch_image_tag("2.19.1.0") == "2.19.1"
    assert opensearch_image_tag("2.19.1") == "2.19.1"


def test_compose_runs_exactly_two_gateways(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exactly 2 gateways"):
        compose_env(Settings(run_dir=tmp_path, gateways=3))


def test_haproxy_checks_readyz_every_second_on_every_gateway() -> None:
    config = HAPROXY_CFG.read_text()
    assert "http-check send meth GET uri /readyz" in config
    assert re.search(r"default-server inter 1s fall 2 rise 2", config)
    assert "bind :8404" in config and "stats enable" in config
    assert "bind :8080" in config
    servers = re.findall(r"^\s*server (\S+) (\S+):(\d+) check", config, flags=re.M)
    assert {(name, host, int(port)) for name, host, port in servers} == {
        (name, name, 8101) for name in GATEWAYS
    }
    mount = _raw()["services"]["haproxy"]["volumes"][0]
    assert mount.startswith("./infra/compose/haproxy.cfg:")


def test_docker_compose_config_accepts_the_file(settings: Settings) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker CLI is not installed")
    plugin = subprocess.run(
        [docker, "compose", "version"], capture_output=True, timeout=60, check=False
    )
    if plugin.returncode != 0:
        pytest.skip("the docker CLI has no compose plugin here")
    env_file = write_env_file(settings)
    result = subprocess.run(
        [docker, "compose", "--file", str(COMPOSE_FILE), "--env-file", str(env_file),
         "--profile", ONE_SHOT_PROFILE, "config", "--quiet"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr


# --- the provider refuses to start without Docker ----------------------------------------


def _fake_docker(bin_dir: Path, *, engine: bool, compose: bool) -> None:
    """A `docker` that answers `info` and `compose version` as told, and fails otherwise."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = info ]; then exit {0 if engine else 1}; fi\n'
        f'if [ "$1" = compose ] && [ "$2" = version ]; then exit {0 if compose else 1}; fi\n'
        "echo unexpected docker call: \"$@\" >&2; exit 99\n"
    )
    script.chmod(0o755)


@pytest.fixture
def console() -> Console:
    return Console(file=io.StringIO())


@pytest.mark.parametrize(
    ("engine", "compose", "missing"),
    [
        (False, True, "a running Docker engine"),
        (True, False, "the Docker Compose plugin"),
    ],
)
def test_up_and_down_need_a_docker_engine_and_compose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console,
    engine: bool, compose: bool, missing: str,
) -> None:
    _fake_docker(tmp_path / "bin", engine=engine, compose=compose)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    for action in (lambda: compose_up(settings, console),
                   lambda: compose_down(settings, False, console)):
        with pytest.raises(MissingDependency) as caught:
            action()
        message = str(caught.value)
        assert message.startswith(missing) and "fix with:" in message
        assert "\n" not in message
    # Nothing was written or started before the check failed.
    assert not settings.run_dir.exists()


def test_up_without_the_docker_cli_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, console: Console
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingDependency, match="the docker CLI is missing; fix with: install"):
        compose_up(settings, console)
