"""The relay's lag monitor against the test stack's Kafka and Redis: a group of this test's
own, on a topic of its own, so the figures are known exactly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client import REGISTRY

from chirp.stack.clients import kafka_config
from chirp.stack.relay.lag import LagMonitor
from chirp.stack.resources import Resources
from chirp.stack.schema import topics
from chirp.stack.tweets.backpressure import lag_key

pytestmark = pytest.mark.integration


@pytest.fixture
def topic(res: Resources) -> Iterator[str]:
    name = f"lagtest-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": res.settings.kafka_bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])[name].result()
    yield name
    admin.delete_topics([name])[name].result()


def _produce(res: Resources, topic: str, per_partition: dict[int, int]) -> None:
    producer = Producer({"bootstrap.servers": res.settings.kafka_bootstrap})
    for partition, count in per_partition.items():
        for n in range(count):
            producer.produce(topic, value=str(n).encode(), partition=partition)
    assert producer.flush(10) == 0


def _commit(res: Resources, group: str, topic: str, partition: int, offset: int) -> None:
    consumer = Consumer({"bootstrap.servers": res.settings.kafka_bootstrap, "group.id": group})
    try:
        consumer.commit(offsets=[TopicPartition(topic, partition, offset)], asynchronous=False)
    finally:
        consumer.close()


def test_lag_is_what_the_group_has_not_committed(res, topic):
    group = f"lagtest-{uuid.uuid4().hex[:8]}"
    _produce(res, topic, {0: 5, 1: 3})
    monitor = LagMonitor(kafka_config(res.settings), res.redis, subscriptions={group: (topic,)})

    assert monitor.measure_all() == {group: 8}  # nothing committed: all of it, from the start

    _commit(res, group, topic, 0, 4)
    assert monitor.measure_all() == {group: 4}  # 1 left on partition 0, 3 on partition 1
    assert res.redis.get(lag_key(group)) == "4"
    assert REGISTRY.get_sample_value("chirp_consumer_group_lag", {"group": group}) == 4
    partition = {"group": group, "topic": topic, "partition": "0"}
    assert REGISTRY.get_sample_value("chirp_consumer_lag", partition) == 1


def test_the_stack_groups_are_measured(res):
    monitor = LagMonitor(kafka_config(res.settings), res.redis)
    totals = monitor.measure_all()
    assert set(totals) == set(topics.SUBSCRIPTIONS)
    assert all(lag >= 0 for lag in totals.values())
