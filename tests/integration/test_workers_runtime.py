"""The worker loop against real Kafka: a batch whose dead letters Kafka did not take is
neither committed nor skipped."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from chirp.stack import clients, events
from chirp.stack.workers.runtime import Worker

pytestmark = pytest.mark.integration


class _Ghost:
    """A handler whose group has no DLQ topic (Kafka creates none on demand)."""

    def __init__(self, topic: str) -> None:
        self.group = f"ghost-{uuid.uuid4().hex[:8]}"
        self.topics: Sequence[str] = [topic]

    def handle(self, batch: list[events.Event]) -> None:
        raise AssertionError("a poison message never reaches the handler")


def _consume_one(worker: Worker, deadline_s: float = 60) -> list:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        found = [m for m in worker._consumer.consume(num_messages=10, timeout=1) if not m.error()]
        if found:
            return found
    raise AssertionError("no message arrived")


def test_a_batch_whose_dead_letters_are_lost_is_not_committed(stack):
    settings = stack.settings()
    admin = clients.kafka_admin(settings)
    scratch = f"test-dlq-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(scratch, num_partitions=1, replication_factor=1)])[
        scratch
    ].result(timeout=30)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "acks": "all"})
    producer.produce(scratch, key="1", value=b"not an event")
    assert producer.flush(30) == 0
    worker = Worker(_Ghost(scratch), settings)
    try:
        worker._consumer.subscribe([scratch])
        batch = _consume_one(worker)
        worker.process(batch)
        (committed,) = worker._consumer.committed([TopicPartition(scratch, 0)], timeout=10)
        assert committed.offset < 0, "the batch was committed with its dead letter lost"
        again = _consume_one(worker)
        assert [m.offset() for m in again] == [m.offset() for m in batch]
    finally:
        worker.close()
        admin.delete_topics([scratch])
