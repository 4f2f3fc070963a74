"""The pure parts of the HA data tier: connection strings, the recorded topology, what
a Sentinel's rewritten config says, and how a standby's data directory is pointed."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from chirp.cli.stack import _role
from chirp.core.settings import Settings
from chirp.infra.provision.local import topology
from chirp.infra.provision.local.postgres import PostgresServer, node_names, node_port
from chirp.infra.provision.local.sentinel import SentinelServer, known_primary_port


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "run_dir": tmp_path,
        "postgres_port": 15432,
        "postgres_replica_base_port": 15433,
        "redis_port": 16379,
        "redis_replica_port": 16380,
        # Nobody listens here: the Sentinels' files are the only source.
        "sentinel_base_port": 1,
    }
    return Settings(**{**values, **overrides})


def test_write_dsn_names_every_node_and_asks_for_read_write(tmp_path):
    settings = _settings(tmp_path, postgres_replicas=2)
    info = psycopg.conninfo.conninfo_to_dict(settings.postgres_write_dsn)
    assert info["port"] == "15432,15433,15434"
    assert info["target_session_attrs"] == "read-write"


def test_read_dsn_prefers_standbys_and_lists_the_primary_last(tmp_path):
    info = psycopg.conninfo.conninfo_to_dict(_settings(tmp_path).postgres_read_dsn)
    assert info["port"] == "15433,15432"
    assert info["target_session_attrs"] == "prefer-standby"
    assert info["dbname"] == "chirp"


def test_topology_merges_and_the_replica_count_and_primary_default(tmp_path):
    settings = _settings(tmp_path, postgres_replicas=1)
    assert topology.pg_replica_count(settings) == 1
    assert topology.postgres_primary_node(settings) == "postgres"
    topology.update(settings, gateways=3, pg_replicas=2)
    topology.update(settings, postgres_primary="postgres-replica-2", prometheus=None)
    assert topology.read(settings) == {
        "gateways": 3,
        "pg_replicas": 2,
        "postgres_primary": "postgres-replica-2",
    }
    assert topology.with_recorded_shape(settings).postgres_replicas == 2
    assert node_names(settings) == ["postgres", "postgres-replica-1", "postgres-replica-2"]
    assert node_port(settings, "postgres-replica-2") == 15434


def test_a_corrupt_topology_reads_as_the_defaults(tmp_path):
    settings = _settings(tmp_path)
    topology.topology_file(settings).write_text("{not json")
    assert topology.read(settings) == {}
    assert topology.pg_replica_count(settings) == settings.postgres_replicas


def test_the_primary_sentinels_last_wrote_wins_by_majority(tmp_path):
    settings = _settings(tmp_path)
    for number, port in ((1, 16380), (2, 16380), (3, 16379)):
        sentinel = SentinelServer(settings, number=number)
        sentinel.home.mkdir(parents=True)
        sentinel.config_file.write_text(
            f"port {sentinel.port}\nsentinel monitor chirp 127.0.0.1 {port} 2\n"
        )
    assert known_primary_port(settings) == 16380


def test_a_sentinel_config_for_other_ports_is_ignored(tmp_path):
    settings = _settings(tmp_path)
    sentinel = SentinelServer(settings, number=1)
    sentinel.home.mkdir(parents=True)
    sentinel.config_file.write_text("sentinel monitor chirp 127.0.0.1 9999 2\n")
    assert known_primary_port(settings) is None


def test_a_standby_is_pointed_at_the_primary_by_name(tmp_path):
    node = PostgresServer(_settings(tmp_path), index=1)
    node.os_user = None  # the files are ours in this test
    node.data_dir.mkdir(parents=True)
    auto = node.data_dir / "postgresql.auto.conf"
    auto.write_text("# managed\nprimary_conninfo = 'host=x port=1'\nwork_mem = '8MB'\n")
    node.follow("postgres")
    lines = auto.read_text().splitlines()
    assert lines[:2] == ["# managed", "work_mem = '8MB'"]
    assert lines[2] == (
        "primary_conninfo = 'host=127.0.0.1 port=15432 user=postgres "
        f"passfile={node.passfile} application_name=postgres-replica-1'"
    )
    assert node.standby_signal.exists()
    assert node.name == "postgres-replica-1" and node.port == 15433


def test_status_shows_a_replica_with_its_lag():
    assert _role(None, None) == ""
    assert _role("primary", None) == "primary"
    streaming = {"state": "streaming", "lag_bytes": 120, "lag_s": 0.25}
    assert _role("replica", streaming) == "replica lag 120 B/0.25s"
    assert _role("replica", {"state": "streaming", "lag_bytes": 0}) == "replica lag 0 B"
    assert _role("replica", {"state": "not streaming"}) == "replica (not streaming)"


def test_clients_use_sentinel_unless_redis_is_elsewhere_without_sentinels(tmp_path):
    assert _settings(tmp_path).redis_via_sentinel
    assert not _settings(tmp_path, redis_sentinel=False).redis_via_sentinel
    assert not _settings(tmp_path, redis_host="redis").redis_via_sentinel
    named = _settings(tmp_path, redis_host="redis", sentinel_hosts="s1:26379,s2:26379")
    assert named.redis_via_sentinel
    assert named.sentinel_addresses == [("s1", 26379), ("s2", 26379)]


def test_up_refuses_fewer_replicas_than_the_primarys_number(tmp_path):
    from chirp.core.errors import ConfigError
    from chirp.infra.provision.local.provider import record_topology

    settings = _settings(tmp_path)
    topology.update(settings, pg_replicas=2, postgres_primary="postgres-replica-2")
    with pytest.raises(ConfigError, match="postgres-replica-2 is the PostgreSQL primary"):
        record_topology(settings, gateways=2, prometheus=False, pg_replicas=1)
    record_topology(settings, gateways=2, prometheus=False, pg_replicas=3)
    assert topology.pg_replica_count(settings) == 3
