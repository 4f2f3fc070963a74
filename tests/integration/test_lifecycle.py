"""`chirp up`/`down`/`status`: idempotence, persistence, port conflicts, purge, no leftovers.

These run after the read/write tests (pytest runs files in order), because they
restart the session's stack.
"""

from __future__ import annotations

import json
import shutil
import socket
import uuid

import pytest

from chirp.infra.provision.local import process, provider
from chirp.stack import clients
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration


def _records(stack: StackEnv) -> list[process.ProcessRecord]:
    found = [process.read_record(p) for p in (stack.run_dir / "pids").glob("*.pid")]
    return [r for r in found if r is not None]


def test_status_json_lists_every_component_up(stack):
    result = stack.chirp("status", "--json")
    assert result.returncode == 0, result.stderr
    rows = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    assert set(rows) >= {"kafka", "redis", "dynamodb", "postgres", "opensearch"}
    for row in rows.values():
        assert row["state"] == "up"
        assert row["pid"] > 0
        assert row["rss_mb"] > 0


def test_second_up_starts_nothing(stack):
    before = _records(stack)
    result = stack.chirp("up")
    assert result.returncode == 0, result.stderr
    assert "everything was already running" in result.stderr
    assert _records(stack) == before


def test_the_schema_is_bootstrapped_again_only_when_a_data_server_starts(stack):
    log = stack.run_dir / "logs" / "bootstrap.log"
    grace_s = stack.settings().stop_grace_s
    process.stop(stack.run_dir / "pids" / "gateway-1.pid", grace_s=grace_s)
    before = log.read_text()
    up = stack.chirp("up")
    assert up.returncode == 0, up.stderr
    assert log.read_text() == before, "a restarted gateway ran the bootstrap again"

    process.stop(stack.run_dir / "pids" / "sentinel-1.pid", grace_s=grace_s)
    up = stack.chirp("up")
    assert up.returncode == 0, up.stderr
    assert log.read_text().startswith(before)
    assert "sql migrations applied" in log.read_text().removeprefix(before)


def test_logs_prints_a_component_log(stack):
    result = stack.chirp("logs", "redis", "-n", "5")
    assert result.returncode == 0
    assert result.stdout.strip()
    unknown = stack.chirp("logs", "nosuch")
    assert unknown.returncode == 1
    assert "no component named 'nosuch'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_data_survives_down_and_up(stack):
    settings = stack.settings()
    marker = str(uuid.uuid4())
    clients.redis_client(settings).set("persist:test", marker)
    with clients.postgres_connection(settings) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS persist_test (v TEXT)")
        conn.execute("INSERT INTO persist_test VALUES (%s)", (marker,))
    dynamo = clients.dynamodb_client(settings)
    dynamo.put_item(TableName="idempotency_keys", Item={"key": {"S": marker}, "v": {"S": "kept"}})
    search = clients.opensearch_client(settings)
    search.index(index="users", id=marker, body={"username": "persisted"}, refresh=True)

    records = _records(stack)
    down = stack.chirp("down")
    assert down.returncode == 0, down.stderr
    assert not [r.pid for r in records if r.alive()]

    up = stack.chirp("up")
    assert up.returncode == 0, up.stderr
    assert clients.redis_client(settings).get("persist:test") == marker
    with clients.postgres_connection(settings) as conn:
        rows = conn.execute("SELECT v FROM persist_test WHERE v = %s", (marker,)).fetchall()
    assert rows == [(marker,)]
    item = dynamo.get_item(TableName="idempotency_keys", Key={"key": {"S": marker}})["Item"]
    assert item["v"] == {"S": "kept"}
    assert search.get(index="users", id=marker)["_source"]["username"] == "persisted"


def test_taken_port_is_named_and_nothing_starts():
    other = StackEnv.create(prefix="chirp-test-ports-")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", other.port("postgres_port")))
        squatter.listen()
        result = other.chirp("up", timeout=120)
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert str(other.port("postgres_port")) in line
    assert "CHIRP_POSTGRES_PORT" in line
    assert "Traceback" not in result.stderr
    assert _records(other) == []
    shutil.rmtree(other.run_dir, ignore_errors=True)


def test_purge_refuses_a_run_dir_chirp_did_not_make():
    """CHIRP_RUN_DIR pointing at someone's home: `down --purge` deletes nothing of it."""
    home = StackEnv.create(prefix="chirp-test-home-")
    mine = home.run_dir / "logs" / "mine.txt"
    mine.parent.mkdir()
    mine.write_text("not chirp's")
    result = home.chirp("down", "--purge", timeout=120)
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert "nothing deleted" in line and str(home.run_dir) in line
    assert "Traceback" not in result.stderr
    assert mine.read_text() == "not chirp's"
    shutil.rmtree(home.run_dir, ignore_errors=True)


def test_purge_deletes_only_what_chirp_created(tmp_path):
    home = StackEnv.create(prefix="chirp-test-home-")
    mine = home.run_dir / "logs" / "mine.txt"
    mine.parent.mkdir()
    mine.write_text("not chirp's")
    provider.claim_run_dir(home.settings())  # what `up` does first
    made = home.run_dir / "redis" / "data"  # then a component makes its directory
    made.mkdir(parents=True)
    result = home.chirp("down", "--purge", timeout=120)
    assert result.returncode == 0, result.stderr
    assert not made.parent.exists()
    assert mine.read_text() == "not chirp's"
    shutil.rmtree(home.run_dir, ignore_errors=True)


def test_down_purge_removes_data_and_leaves_no_process(stack):
    records = _records(stack)
    result = stack.chirp("down", "--purge")
    assert result.returncode == 0, result.stderr
    assert "deleted" in result.stderr
    assert not [r.pid for r in records if r.alive()]
    for name in ("kafka", "redis", "dynamodb", "postgres", "opensearch"):
        assert not (stack.run_dir / name).exists()
    # Leave the session's stack running for whatever runs after this file.
    assert stack.chirp("up").returncode == 0
