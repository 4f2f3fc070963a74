"""docker-compose.yml, its HAProxy config and the compose provider's checks, without an engine."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from chirp.core.errors import ConfigError, MissingDependency
from chirp.core.settings import Settings
from chirp.infra.provision.compose import compose_down, compose_env, compose_up, write_env_file
from chirp.infra.provision.compose.env import (
    COMPOSE_POSTGRES_REPLICAS,
    COMPOSE_SENTINELS,
    COMPOSE_WORKERS,
    edge_config,
    opensearch_image_tag,
    vcl_path,
)
from chirp.infra.provision.compose.provider import COMPOSE_FILE, DATA_SERVICES, REPO_ROOT
from chirp.infra.provision.local.vcl import EdgeConfig, render_vcl
from chirp.stack import objectstore, secrets
from chirp.stack.edge.purge import edge_address

HAPROXY_CFG = REPO_ROOT / "infra" / "provision" / "compose" / "haproxy.cfg"
GATEWAYS = ("gateway-1", "gateway-2")
WORKERS = ("relay", "fanout", "search-indexer", "trending", "notify", "analytics", "edge-purger")
CHIRP_SERVICES = (*GATEWAYS, *WORKERS)
SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")
REPLICAS = ("postgres-replica", "redis-replica")
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
        name: service
        for name, service in services.items()
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
    assert set(services) == {*DATA_SERVICES, "haproxy", "edge", "bootstrap", *CHIRP_SERVICES}


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, service in _long_running(_raw()["services"]).items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name


def test_the_bootstrap_is_a_one_shot_run_by_chirp_not_by_up() -> None:
    bootstrap = _raw()["services"]["bootstrap"]
    assert bootstrap["profiles"] == [ONE_SHOT_PROFILE]
    assert bootstrap["restart"] == "no"
    assert bootstrap["command"] == ["python", "-m", "chirp.stack.bootstrap"]


def test_dependants_wait_for_healthy_services() -> None:
    services = _raw()["services"]
    dependants = [name for name, s in services.items() if s.get("depends_on")]
    assert set(dependants) == {
        "haproxy",
        "edge",
        "bootstrap",
        *CHIRP_SERVICES,
        *REPLICAS,
        *SENTINELS,
    }
    for name in dependants:
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends_on.items():
            assert rule == {"condition": "service_healthy"}, f"{name} -> {target}"
            assert "healthcheck" in services[target]
    for name in CHIRP_SERVICES:
        assert set(services[name]["depends_on"]) == set(DATA_SERVICES)
    assert set(services["haproxy"]["depends_on"]) == set(GATEWAYS)
    assert set(services["edge"]["depends_on"]) == {"haproxy", "objectstore"}
    assert set(services["postgres-replica"]["depends_on"]) == {"postgres"}
    assert set(services["redis-replica"]["depends_on"]) == {"redis"}
    for name in SENTINELS:
        assert set(services[name]["depends_on"]) == {"redis", "redis-replica"}


def test_every_variable_is_required_and_chirp_provides_it(settings: Settings) -> None:
    text = COMPOSE_FILE.read_text()
    references = list(_VARIABLE.finditer(text))
    assert references
    env = compose_env(settings)
    for reference in references:
        assert reference.group("rest").startswith(":?"), reference.group(0)
        assert reference.group("name") in env, reference.group("name")
    # No bare $VAR form that would dodge the check ($$VAR is the container shell's own).
    assert not re.search(r"\$[A-Za-z_]", text.replace("$$", "").replace("${", ""))
    assert "$${" not in text


def test_data_lives_in_named_volumes() -> None:
    raw = _raw()
    assert set(SENTINELS) <= set(DATA_SERVICES) and set(REPLICAS) <= set(DATA_SERVICES)
    for name in set(DATA_SERVICES) - set(SENTINELS):  # a Sentinel keeps only its config
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
            "python",
            "-m",
            "chirp.stack.run",
            "gateway",
            "--port",
            "8101",
        ]
    for name in WORKERS:
        assert services[name]["command"] == ["python", "-m", "chirp.stack.run", name]
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
        "postgres-replica": {5432: settings.postgres_replica_base_port},
        "redis-replica": {6379: settings.redis_replica_port},
        "sentinel-1": {26379: settings.sentinel_base_port},
        "sentinel-2": {26379: settings.sentinel_base_port + 1},
        "sentinel-3": {26379: settings.sentinel_base_port + 2},
        "opensearch": {9200: settings.opensearch_port},
        "haproxy": {8080: settings.lb_port, 8404: settings.lb_stats_port},
        "objectstore": {8333: settings.objectstore_base_port},
        "edge": {6081: settings.edge_port},
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
    ids = [
        int(services[name]["environment"]["CHIRP_NODE_ID"])
        for name in (*CHIRP_SERVICES, "bootstrap")
    ]
    assert len(set(ids)) == len(ids)
    assert all(0 <= node <= 1023 for node in ids)
    assert "CHIRP_NODE_ID" not in compose_env(settings)


def test_chirp_containers_reach_each_server_where_it_listens(settings: Settings) -> None:
    services = _interpolated(settings)["services"]
    kafka_listeners = services["kafka"]["environment"]["KAFKA_LISTENERS"]
    for name in CHIRP_SERVICES:
        env = services[name]["environment"]
        inside = Settings.model_validate(
            {
                key.removeprefix("CHIRP_").lower(): value
                for key, value in env.items()
                if key.startswith("CHIRP_")
            }
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
        # The HA tier: reads on the replica, Redis's primary found through the Sentinels.
        assert inside.postgres_replicas == COMPOSE_POSTGRES_REPLICAS
        assert inside.postgres_replica_addresses == [("postgres-replica", 5432)]
        assert inside.redis_sentinel is True
        assert inside.sentinel_addresses == [(name, 26379) for name in SENTINELS]
        assert inside.redis_master_name == settings.redis_master_name


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
    assert (
        f"-Xmx{settings.opensearch_heap_mb}m"
        in (services["opensearch"]["environment"]["OPENSEARCH_JAVA_OPTS"])
    )
    assert f"{settings.redis_maxmemory_mb}mb" in services["redis"]["command"]
    assert services["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"] == settings.kafka_partitions
    postgres = services["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == (
        settings.postgres_user,
        settings.postgres_db,
    )


def test_the_replica_clones_the_primary_as_the_replication_role(settings: Settings) -> None:
    services = _interpolated(settings)["services"]
    primary, replica = services["postgres"], services["postgres-replica"]
    assert replica["image"] == primary["image"]
    assert replica["depends_on"]["postgres"] == {"condition": "service_healthy"}
    script = replica["command"][-1]
    assert re.search(r"pg_basebackup --host=postgres --port=5432 --username=replicator", script)
    assert "--write-recovery-conf" in script and "--wal-method=stream" in script
    assert "exec docker-entrypoint.sh postgres" in script
    # A hot standby refuses to start with fewer connections than its primary.
    assert "max_connections=300" in primary["command"] and "max_connections=300" in script
    # The primary lets the role replicate, and the role exists from the first start.
    assert "hba_file=/etc/chirp/pg_hba.conf" in primary["command"]
    mounts = {m.split(":")[0]: m.split(":")[1] for m in primary["volumes"][1:]}
    assert mounts["./infra/provision/compose/pg_hba.conf"] == "/etc/chirp/pg_hba.conf"
    assert mounts["./infra/provision/compose/postgres-init"] == "/docker-entrypoint-initdb.d"
    hba = (REPO_ROOT / "infra/provision/compose/pg_hba.conf").read_text()
    assert re.search(r"^host\s+replication\s+replicator\s+all\s+scram-sha-256$", hba, flags=re.M)
    init = (REPO_ROOT / "infra/provision/compose/postgres-init/replication.sh").read_text()
    assert "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password'" in init
    # The replica clones and streams with the stack's password.
    assert replica["environment"]["PGPASSWORD"] == compose_env(settings)["CHIRP_POSTGRES_PASSWORD"]


def test_every_server_asks_for_the_generated_passwords(settings: Settings) -> None:
    """No trust: PostgreSQL with scram-sha-256, Redis and the Sentinels with requirepass,
    each with the password chirp generated into the run directory (mode 600)."""
    env = compose_env(settings)
    made = secrets.load(settings)
    assert env["CHIRP_POSTGRES_PASSWORD"] == made.postgres_password
    assert env["CHIRP_REDIS_PASSWORD"] == made.redis_password
    assert stat.S_IMODE(secrets.secrets_file(settings).stat().st_mode) == 0o600
    services = _interpolated(settings)["services"]
    for name in ("postgres", "postgres-replica"):
        assert services[name]["environment"]["POSTGRES_PASSWORD"] == made.postgres_password
    assert services["postgres"]["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    hba = (REPO_ROOT / "infra/provision/compose/pg_hba.conf").read_text()
    assert "trust" not in [line.split()[-1] for line in hba.splitlines() if line[:1].isalpha()]
    for name in ("redis", "redis-replica"):
        command = services[name]["command"]
        assert command[command.index("--requirepass") + 1] == made.redis_password
        assert command[command.index("--masterauth") + 1] == made.redis_password
        assert command[command.index("--maxmemory-policy") + 1] == "volatile-lru"
    for name in SENTINELS:
        script = services[name]["command"][-1]
        assert f'"requirepass {made.redis_password}"' in script
        assert f'"sentinel auth-pass chirp {made.redis_password}"' in script


def test_redis_replica_follows_the_primary_and_both_announce_their_names(
    settings: Settings,
) -> None:
    services = _interpolated(settings)["services"]
    replica = services["redis-replica"]["command"]
    assert replica[replica.index("--replicaof") + 1 :][:2] == ["redis", "6379"]
    assert replica[replica.index("--replica-announce-ip") + 1] == "redis-replica"
    primary = services["redis"]["command"]
    assert primary[primary.index("--replica-announce-ip") + 1] == "redis"
    # Same memory limit and persistence, so a promoted replica behaves as the primary did.
    assert replica[replica.index("--appendonly") :] == primary[primary.index("--appendonly") :]


def test_three_sentinels_monitor_chirps_master_by_name(settings: Settings) -> None:
    assert SENTINELS == COMPOSE_SENTINELS
    services = _interpolated(settings)["services"]
    shared = (REPO_ROOT / "infra/provision/compose/sentinel.conf").read_text()
    assert re.search(r"^sentinel resolve-hostnames yes$", shared, flags=re.M)
    assert re.search(r"^sentinel announce-hostnames yes$", shared, flags=re.M)
    assert re.search(r"^port 26379$", shared, flags=re.M)
    for name in SENTINELS:
        sentinel = services[name]
        assert sentinel["image"] == services["redis"]["image"]
        assert sentinel["environment"]["SENTINEL_NAME"] == name
        assert (
            "./infra/provision/compose/sentinel.conf:/etc/chirp/sentinel.conf:ro"
            in sentinel["volumes"]
        )
        script = sentinel["command"][-1]
        assert "cp /etc/chirp/sentinel.conf" in script
        assert f'"sentinel monitor {settings.redis_master_name} redis 6379 2"' in script
        assert settings.redis_master_name == "chirp"
        down_after = f"down-after-milliseconds chirp {settings.sentinel_down_after_ms}"
        assert down_after in script
        assert f"failover-timeout chirp {settings.sentinel_failover_timeout_ms}" in script
        assert script.rstrip().endswith(
            'exec docker-entrypoint.sh redis-server "$$conf" --sentinel'
        )
        assert "sentinel ckquorum chirp" in sentinel["healthcheck"]["test"][-1]


def test_compose_runs_one_pg_replica_and_sentinel(tmp_path: Path) -> None:
    for moved in ({"postgres_replicas": 2}, {"postgres_replicas": 0}, {"redis_sentinel": False}):
        with pytest.raises(ConfigError, match="1 PostgreSQL replica and Redis with Sentinel"):
            compose_env(Settings(run_dir=tmp_path, **moved))


def test_the_env_file_leaves_replica_and_sentinel_addresses_to_the_place(
    tmp_path: Path,
) -> None:
    elsewhere = Settings(
        run_dir=tmp_path, postgres_replica_hosts="db:5433", sentinel_hosts="s:1,s:2,s:3"
    )
    env = compose_env(elsewhere)
    assert "CHIRP_POSTGRES_REPLICA_HOSTS" not in env and "CHIRP_SENTINEL_HOSTS" not in env
    assert env["CHIRP_REDIS_MASTER_NAME"] == "chirp"


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
    assert mount.startswith("./infra/provision/compose/haproxy.cfg:")


def test_haproxy_is_the_edge_with_chirps_limits(settings: Settings) -> None:
    config = HAPROXY_CFG.read_text()
    assert "option forwardfor" in config and "http-request del-header X-Forwarded-For" in config
    assert 'timeout http-request "${CHIRP_LB_REQUEST_TIMEOUT_S}s"' in config
    assert "path,url_dec -m reg ^/+metrics(/|$)" in config
    assert 'sc_http_req_rate(0) gt "${CHIRP_LB_IP_REQUESTS}"' in config
    assert 'sc_conn_cur(0) gt "${CHIRP_LB_IP_CONNECTIONS}"' in config
    environment = _interpolated(settings)["services"]["haproxy"]["environment"]
    assert environment["CHIRP_LB_IP_REQUESTS"] == settings.lb_ip_requests
    assert environment["CHIRP_LB_REQUEST_TIMEOUT_S"] == settings.lb_request_timeout_s


# --- the edge: SeaweedFS and Varnish -----------------------------------------------------


def _inside(settings: Settings, service: dict[str, Any]) -> Settings:
    """The settings a chirp container runs with: the env file, then its `environment`."""
    merged = {**compose_env(settings), **service["environment"]}
    return Settings.model_validate(
        {
            name: value
            for key, value in merged.items()
            if (name := key.removeprefix("CHIRP_").lower()) in Settings.model_fields
        }
    )


def test_chirp_containers_use_the_object_store_and_purge_the_edge_by_name(
    settings: Settings,
) -> None:
    services = _interpolated(settings)["services"]
    keys = objectstore.credentials(settings)
    for name in (*CHIRP_SERVICES, "bootstrap"):
        inside = _inside(settings, services[name])
        assert inside.objectstore_endpoint == "http://objectstore:8333", name
        assert objectstore.credentials(inside) == keys, name
        assert inside.objectstore_bucket == settings.objectstore_bucket
        # Purges go to Varnish inside the network; media URLs name the host's edge.
        assert edge_address(inside) == ("edge", 6081), name
        assert inside.edge_base_url == settings.edge_base_url == "http://127.0.0.1:8088"
    assert 6081 in _published(services["edge"])
    assert 8333 in _published(services["objectstore"])


def test_the_object_store_signs_with_the_run_dirs_keys_and_keeps_data_on_a_volume(
    settings: Settings,
) -> None:
    service = _interpolated(settings)["services"]["objectstore"]
    keys = objectstore.credentials(settings)
    assert service["environment"] == {
        "AWS_ACCESS_KEY_ID": keys.access_key,
        "AWS_SECRET_ACCESS_KEY": keys.secret_key,
    }
    assert stat.S_IMODE(objectstore.credentials_file(settings).stat().st_mode) == 0o600
    assert service["image"].startswith("chrislusf/seaweedfs:")
    assert service["command"][0] == "mini"
    assert {"-ip=objectstore", "-s3.port=8333", "-webdav=false"} <= set(service["command"])
    assert service["volumes"] == ["objectstore-data:/data"]
    assert "http://127.0.0.1:8333/healthz" in service["healthcheck"]["test"]
    # The env file names the same keys, so every container signs with them.
    written = (write_env_file(settings)).read_text()
    assert f"CHIRP_OBJECTSTORE_ACCESS_KEY={keys.access_key}\n" in written


def test_the_edge_runs_the_local_providers_vcl_with_in_network_backends(
    settings: Settings,
) -> None:
    write_env_file(settings)
    edge = _interpolated(settings)["services"]["edge"]
    vcl = vcl_path(settings)
    assert f"{vcl}:/etc/varnish/default.vcl:ro" in edge["volumes"]
    expected = EdgeConfig(
        host="haproxy",
        api_port=8080,
        objectstore_host="objectstore",
        objectstore_port=8333,
        bucket=settings.objectstore_bucket,
        purgers=("127.0.0.1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
    )
    assert edge_config(settings) == expected
    assert vcl.read_text() == render_vcl(expected)
    assert f"malloc,{settings.edge_cache_mb}m" in edge["command"]
    assert edge["command"][edge["command"].index("-a") + 1] == ":6081"
    # The purgers' networks are those HAProxy's forwarded addresses are believed from.
    trusted = _raw()["x-chirp-env"]["CHIRP_TRUSTED_PROXIES"].split(",")
    assert list(expected.purgers[1:]) == trusted
    assert '"172.16.0.0"/12;' in vcl.read_text()


@pytest.mark.skipif(shutil.which("varnishd") is None, reason="varnishd is not installed")
def test_varnish_compiles_the_compose_vcl(settings: Settings, tmp_path: Path) -> None:
    # Backends must resolve at compile time; the containers' names do only in the network.
    here = dataclasses.replace(
        edge_config(settings), host="127.0.0.1", objectstore_host="127.0.0.1"
    )
    vcl = tmp_path / "edge.vcl"
    vcl.write_text(render_vcl(here))
    done = subprocess.run(
        ["varnishd", "-C", "-j", "none", "-f", str(vcl), "-n", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _compose_config_commands() -> list[list[str]]:
    """`docker compose config` where the docker CLI has the plugin, and compose-go's loader
    (`make test` builds it from infra/provision/compose/configcheck) where Go is installed."""
    commands = []
    docker = shutil.which("docker")
    if docker is not None:
        plugin = subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=60, check=False
        )
        if plugin.returncode == 0:
            commands.append(
                [
                    docker,
                    "compose",
                    "--file",
                    "{file}",
                    "--env-file",
                    "{env}",
                    "--profile",
                    "{profile}",
                    "config",
                    "--quiet",
                ]
            )
    configcheck = Path(sys.executable).parent / "compose-configcheck"
    if configcheck.is_file():
        commands.append(
            [str(configcheck), "-file", "{file}", "-env-file", "{env}", "-profile", "{profile}"]
        )
    return commands


def _compose_config(command: list[str], file: Path, env_file: Path) -> subprocess.CompletedProcess:
    args = [a.format(file=file, env=env_file, profile=ONE_SHOT_PROFILE) for a in command]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def test_compose_loaders_accept_the_file_and_refuse_a_broken_one(
    settings: Settings, tmp_path: Path
) -> None:
    commands = _compose_config_commands()
    if not commands:
        pytest.skip("neither a docker compose plugin nor the compose-go checker is here")
    env_file = write_env_file(settings)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE_FILE.read_text().replace("\n  redis:\n", "\n  redis:\n    colour: red\n", 1)
    )
    for command in commands:
        accepted = _compose_config(command, COMPOSE_FILE, env_file)
        assert accepted.returncode == 0, accepted.stderr
        refused = _compose_config(command, broken, env_file)
        assert refused.returncode != 0
        assert "colour" in refused.stderr


# --- the provider refuses to start without Docker ----------------------------------------


def _fake_docker(bin_dir: Path, *, engine: bool, compose: bool) -> None:
    """A `docker` that answers `info` and `compose version` as told, and fails otherwise."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = info ]; then exit {0 if engine else 1}; fi\n'
        f'if [ "$1" = compose ] && [ "$2" = version ]; then exit {0 if compose else 1}; fi\n'
        'echo unexpected docker call: "$@" >&2; exit 99\n'
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
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    console: Console,
    engine: bool,
    compose: bool,
    missing: str,
) -> None:
    _fake_docker(tmp_path / "bin", engine=engine, compose=compose)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    for action in (
        lambda: compose_up(settings, console),
        lambda: compose_down(settings, False, console),
    ):
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
