"""Each data server of a real stack: a write through its Python client reads back."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import NewTopic

from stack import clients
from stack.schema import indices, tables, topics

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
