from __future__ import annotations

import json

from chirp.core.settings import Settings
from chirp.infra.provision.local.edge import Edge, EdgeExporter
from chirp.infra.provision.local.objectstore import ObjectStore
from chirp.stack import objectstore


def _settings(tmp_path) -> Settings:
    return Settings(run_dir=tmp_path / "run", cache_dir=tmp_path / "cache")


def test_the_object_store_binds_loopback_on_its_own_block_of_ports(tmp_path):
    store = ObjectStore(_settings(tmp_path))
    argv = store.command()
    assert argv[1] == "mini"
    flags = dict(a.removeprefix("-").split("=", 1) for a in argv[2:])
    assert flags["ip"] == flags["ip.bind"] == "127.0.0.1"
    ports = [int(v) for k, v in flags.items() if k.endswith(("port", "port.grpc"))]
    assert sorted(ports) == list(range(8333, 8343))
    assert [p.number for p in store.ports()] == sorted(ports)
    assert flags["admin.port.legacy"] == "0" and flags["master.telemetry"] == "false"


def test_credentials_are_generated_once_and_private(tmp_path):
    settings = _settings(tmp_path)
    first = objectstore.ensure_credentials(settings)
    path = objectstore.credentials_file(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    assert objectstore.ensure_credentials(settings) == first
    assert json.loads(path.read_text())["access_key"] == first.access_key
    assert ObjectStore(settings).env() == {
        "AWS_ACCESS_KEY_ID": first.access_key,
        "AWS_SECRET_ACCESS_KEY": first.secret_key,
    }


def test_settings_may_name_the_credentials_instead(tmp_path):
    settings = Settings(run_dir=tmp_path, objectstore_access_key="AK", objectstore_secret_key="SK")
    assert objectstore.credentials(settings) == objectstore.Credentials("AK", "SK")


def test_varnish_listens_on_loopback_and_its_manager_stays_in_the_foreground(tmp_path):
    settings = _settings(tmp_path)
    argv = Edge(settings).command()
    assert "-F" in argv
    assert argv[argv.index("-a") + 1] == f"127.0.0.1:{settings.edge_port}"
    assert argv[argv.index("-T") + 1] == f"127.0.0.1:{settings.edge_admin_port}"
    assert argv[argv.index("-n") + 1].startswith(str(settings.run_dir.resolve()))
    exporter = EdgeExporter(settings).command()
    assert "-web.listen-address=127.0.0.1:9131" in exporter
