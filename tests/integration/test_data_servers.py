"""Each data server of a real stack: a write through its Python client reads back."""

from __future__ import annotations

import contextlib
import ipaddress
import sqlite3
import stat
import time
import uuid

import psutil
import psycopg
import pytest
import redis
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import NewTopic

from chirp.core.observe import scrape
from chirp.infra.provision.local import postgres, process, provider, topology
from chirp.infra.provision.local.dynamodb import DynamoDBServer
from chirp.stack import clients, secrets
from chirp.stack.schema import indices, tables, topics

pytestmark = pytest.mark.integration


def test_redis_write_read(stack):
    client = clients.redis_client(stack.settings())
    key = f"test:{uuid.uuid4()}"
    client.set(key, "chirp")
    assert client.get(key) == "chirp"
    assert client.config_get("appendonly")["appendonly"] == "yes"


def test_postgres_write_read_and_schema(stack):
    with clients.postgres_connection(stack.settings()) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS probe_rw (v TEXT)")
        conn.execute("INSERT INTO probe_rw VALUES ('chirp')")
        assert conn.execute("SELECT v FROM probe_rw").fetchone() == ("chirp",)
        names = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
        assert {"users", "follows", "schema_migrations"} <= names


def test_postgres_runs_as_an_unprivileged_user(stack):
    with clients.postgres_connection(stack.settings()) as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
    assert data_dir.startswith(str(stack.run_dir))


def test_dynamodb_write_read_and_tables(stack):
    client = clients.dynamodb_client(stack.settings())
    assert set(tables.TABLE_SPECS) <= set(client.list_tables()["TableNames"])
    client.put_item(
        TableName=tables.TWEETS,
        Item={"user_id": {"N": "1"}, "tweet_id": {"N": "42"}, "text": {"S": "hello"}},
    )
    found = client.query(
        TableName=tables.TWEETS,
        IndexName=tables.TWEETS_BY_ID,
        KeyConditionExpression="tweet_id = :t",
        ExpressionAttributeValues={":t": {"N": "42"}},
    )["Items"]
    assert found[0]["text"] == {"S": "hello"}


def test_dynamodb_local_finds_stream_records_by_stream_and_by_shard(stack):
    server = next(c for c in provider.components(stack.settings()) if isinstance(c, DynamoDBServer))
    with contextlib.closing(sqlite3.connect(server.database_file)) as db:
        rows = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'us'"
        ).fetchall()
    leading = {sql.split("(")[1].split(",")[0].strip() for (sql,) in rows if sql}
    assert {"StreamID", "ShardID"} <= leading, rows


def test_kafka_produce_consume_and_topics(stack):
    settings = stack.settings()
    admin = clients.kafka_admin(settings)
    metadata = admin.list_topics(timeout=10)
    assert set(topics.all_topics()) <= set(metadata.topics)
    assert len(metadata.topics[topics.TWEET_CREATED].partitions) == settings.kafka_partitions
    # A scratch topic of its own: the stack's topics carry other tests' events.
    scratch = f"test-roundtrip-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(scratch, num_partitions=1, replication_factor=1)])[
        scratch
    ].result(timeout=30)
    marker = str(uuid.uuid4())
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    producer.produce(scratch, key="7", value=marker)
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"test-{marker}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([scratch])
    try:
        deadline = time.monotonic() + 60
        seen: list[str] = []
        while marker not in seen and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                seen.append(message.value().decode())
        assert seen == [marker]
    finally:
        consumer.close()
        admin.delete_topics([scratch])


def test_opensearch_index_search(stack):
    client = clients.opensearch_client(stack.settings())
    assert client.cluster.health()["status"] in ("green", "yellow")
    client.index(
        index=indices.TWEETS_INDEX,
        id="test-1",
        body={"tweet_id": "1", "text": "real search works", "hashtags": ["chirp"]},
        refresh=True,
    )
    hits = client.search(index=indices.TWEETS_INDEX, body={"query": {"match": {"text": "search"}}})[
        "hits"
    ]["hits"]
    assert [h["_id"] for h in hits] == ["test-1"]


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _stack_pids(stack) -> dict[int, str]:
    """Every process of the stack (servers and their children) by pid, with its component."""
    found: dict[int, str] = {}
    for pid_file in (stack.run_dir / "pids").glob("*.pid"):
        record = process.read_record(pid_file)
        proc = record.process() if record else None
        if proc is not None:
            for member in [proc, *proc.children(recursive=True)]:
                found[member.pid] = pid_file.stem
    return found


def test_every_listener_of_the_stack_is_on_loopback(stack):
    """What `ss -ltn` shows after `chirp up`: no socket of the stack on 0.0.0.0 or ::."""
    settings = stack.settings()
    pids = _stack_pids(stack)
    ports = {p.number: c.name for c in provider.components(settings) for p in c.ports()}
    listeners = [c for c in psutil.net_connections("inet") if c.status == psutil.CONN_LISTEN]
    ours = [c for c in listeners if c.pid in pids or c.laddr.port in ports]
    assert {c.laddr.port for c in ours} >= set(ports), "every component listens"
    exposed = sorted(
        f"{pids.get(c.pid) or ports.get(c.laddr.port)} on {c.laddr.ip}:{c.laddr.port}"
        for c in ours
        if not _loopback(c.laddr.ip)
    )
    assert exposed == []


def test_secrets_are_made_once_and_readable_only_by_their_owner(stack):
    made = secrets.secrets_file(stack.settings())
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    loaded = secrets.load(stack.settings())
    assert len(loaded.postgres_password) >= 32 and len(loaded.redis_password) >= 32
    assert loaded.postgres_password != loaded.redis_password


def test_postgres_refuses_clients_without_the_password(stack):
    settings = topology.with_recorded_shape(stack.settings())
    for name in postgres.node_names(settings):
        port = postgres.node_port(settings, name)
        for password in (None, "wrong"):
            with pytest.raises(psycopg.OperationalError, match="password"):
                psycopg.connect(
                    host=settings.host,
                    port=port,
                    user=settings.postgres_user,
                    password=password,
                    dbname="postgres",
                    connect_timeout=5,
                )
        with postgres.connect(settings, name) as conn:  # with it, every node answers
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_redis_and_sentinels_refuse_clients_without_the_password(stack):
    settings = stack.settings()
    ports = [settings.redis_port, settings.redis_replica_port]
    ports += [port for _, port in settings.sentinel_addresses]
    for port in ports:
        anonymous = redis.Redis(host=settings.host, port=port, socket_timeout=5)
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        anonymous.close()
    assert clients.redis_client(settings).ping()


def test_the_exporters_reach_their_databases_with_the_password(stack):
    settings = stack.settings()
    redis_up = scrape(f"http://127.0.0.1:{settings.redis_exporter_port}/metrics", timeout_s=10)
    pg_up = scrape(f"http://127.0.0.1:{settings.postgres_exporter_port}/metrics", timeout_s=10)
    assert ("redis_up", {}, 1.0) in redis_up
    assert [v for name, _, v in pg_up if name == "pg_up"] == [1.0]
