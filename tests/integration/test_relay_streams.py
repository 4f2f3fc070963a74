"""The relay's stream follower against the test stack's DynamoDB Local, PostgreSQL and
Kafka: a checkpoint behind the trim horizon, DescribeStream pages, a re-created table,
and the wake-up channel through the stack's Redis."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from prometheus_client import REGISTRY

from chirp.stack import clients
from chirp.stack.clients import kafka_config
from chirp.stack.relay.publisher import Publisher
from chirp.stack.relay.streams import StreamFollower, stream_shards
from chirp.stack.relay.wakeup import WakeListener, nudge
from chirp.stack.resources import Resources
from tests.api import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def streams(res: Resources) -> Any:
    return boto3.client(
        "dynamodbstreams",
        endpoint_url=res.settings.dynamodb_endpoint,
        region_name="us-east-1",
        **clients.DYNAMODB_LOCAL_KEYS,
    )


@pytest.fixture(scope="module")
def publisher(res: Resources) -> Publisher:
    return Publisher(kafka_config(res.settings))


@pytest.fixture
def make_table(res: Resources) -> Iterator[Any]:
    """Streamed tables of this test's own (the relay of the stack never follows them)."""
    made: list[str] = []

    def make() -> str:
        name = f"relaytest_{uuid.uuid4().hex[:10]}"
        _create(res, name)
        made.append(name)
        return name

    yield make
    for name in made:
        with contextlib.suppress(ClientError):  # a test already dropped it
            res.dynamo.delete_table(TableName=name)


def _create(res: Resources, name: str) -> None:
    res.dynamo.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )


def _put(res: Resources, table: str, key: str) -> None:
    res.dynamo.put_item(TableName=table, Item={"k": {"S": key}})


def _shard(res: Resources, streams: Any, table: str) -> tuple[str, dict[str, Any]]:
    arn = res.dynamo.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    return arn, streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]


def _records(streams: Any, arn: str, shard_id: str) -> list[dict[str, Any]]:
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator)["Records"])


def _checkpoint(res: Resources, arn: str, shard_id: str) -> str | None:
    with res.pg.connection() as conn:
        row = conn.execute(
            "SELECT sequence_number FROM relay_checkpoints WHERE stream_arn = %s AND shard_id = %s",
            (arn, shard_id),
        ).fetchone()
    return None if row is None else str(row[0])


def test_a_checkpoint_behind_the_trim_horizon_goes_on_from_the_oldest_record(
    res, streams, publisher, make_table
):
    table, other = make_table(), make_table()
    _put(res, other, "before-1")  # sequence numbers are shared by every shard of the
    _put(res, other, "before-2")  # server: these put a gap before the table's first record
    _put(res, table, "kept")
    arn, shard = _shard(res, streams, table)
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    first = _records(streams, arn, shard["ShardId"])[0]["dynamodb"]["SequenceNumber"]
    assert int(first) > int(start) + 1, "the shard's first record must lie past its start"
    # The server's own word: reading after the shard's start is reading trimmed data.
    iterator = streams.get_shard_iterator(
        StreamArn=arn,
        ShardId=shard["ShardId"],
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        SequenceNumber=start,
    )["ShardIterator"]
    with pytest.raises(ClientError) as trimmed:
        streams.get_records(ShardIterator=iterator)
    assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"

    with res.pg.connection() as conn:  # a checkpoint the stream no longer has
        conn.execute(
            "INSERT INTO relay_checkpoints (stream_arn, shard_id, sequence_number, finished)"
            " VALUES (%s, %s, %s, false)",
            (arn, shard["ShardId"], start),
        )
    counted = REGISTRY.get_sample_value("chirp_relay_trimmed_total", {"table": table}) or 0.0
    follower = StreamFollower(res.dynamo, streams, res.pg, publisher, (table,))

    def moved_on() -> bool:
        follower.poll()
        return _checkpoint(res, arn, shard["ShardId"]) == first

    eventually(moved_on, what="the relay moving past the trimmed checkpoint")
    assert REGISTRY.get_sample_value("chirp_relay_trimmed_total", {"table": table}) == counted + 1


def test_a_shard_empty_when_first_read_is_followed_without_counting_a_loss(
    res, streams, publisher, make_table
):
    table, other = make_table(), make_table()
    follower = StreamFollower(res.dynamo, streams, res.pg, publisher, (table,))
    assert follower.poll().records == 0  # its iterator is taken while the shard is empty
    _put(res, other, "elsewhere")  # DynamoDB Local numbers records across every shard,
    _put(res, table, "first")  # so this one lies past where that iterator points
    arn, shard = _shard(res, streams, table)
    first = _records(streams, arn, shard["ShardId"])[0]["dynamodb"]["SequenceNumber"]
    counted = REGISTRY.get_sample_value("chirp_relay_trimmed_total", {"table": table}) or 0.0

    def read() -> bool:
        follower.poll()
        return _checkpoint(res, arn, shard["ShardId"]) == first

    eventually(read, what="the first record of a shard that was empty")
    assert (REGISTRY.get_sample_value("chirp_relay_trimmed_total", {"table": table}) or 0.0) == (
        counted
    )


def test_every_page_of_shards_is_read(res, streams, make_table):
    table = make_table()
    arn, shard = _shard(res, streams, table)

    assert [s["ShardId"] for s in stream_shards(streams, arn, page=1)] == [shard["ShardId"]]
    assert stream_shards(streams, arn) == stream_shards(streams, arn, page=1)


def test_a_re_created_table_is_followed_without_waiting_for_the_refresh(
    res, streams, publisher, make_table
):
    table = make_table()
    follower = StreamFollower(res.dynamo, streams, res.pg, publisher, (table,), refresh_s=3600)
    _put(res, table, "old")
    eventually(lambda: follower.poll().records, what="the first stream's record")

    res.dynamo.delete_table(TableName=table)
    follower.poll()  # the old shard closes or vanishes
    _create(res, table)
    _put(res, table, "new")
    arn, shard = _shard(res, streams, table)

    def followed() -> bool:
        follower.poll()
        return _checkpoint(res, arn, shard["ShardId"]) is not None

    eventually(followed, what="the re-created table's stream being followed")


def test_a_nudge_wakes_the_listening_relay(stack, res):
    listener = WakeListener(clients.redis_client(stack.settings()))
    listener.start()
    try:
        eventually(lambda: listener.listening, what="the wake-up channel subscribed")

        def nudged() -> bool:
            nudge(res.redis, "tweets")
            return listener.wait(1.0)

        assert eventually(nudged, what="a nudge reaching the listener")
        assert "tweets" in listener.take_written()
        assert listener.take_written() == frozenset()  # taken once
    finally:
        listener.stop()
