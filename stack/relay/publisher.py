"""An idempotent Kafka producer that either delivers a whole batch or says it did not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from confluent_kafka import KafkaError, Message, Producer

from chirp.stack import events
from chirp.stack.tracing import KafkaHeaders


class NotDelivered(Exception):
    """Kafka did not acknowledge every message of the batch; nothing may be checkpointed."""


class Publisher:
    def __init__(self, connection: Mapping[str, str], timeout_s: float = 10.0) -> None:
        """`connection`: the brokers and their security (`stack.clients.kafka_config`)."""
        self._timeout_s = timeout_s
        self._producer = Producer(
            {
                **connection,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 2,
                "message.timeout.ms": int(timeout_s * 1000),
                "log_level": 3,
            }
        )

    def publish(
        self,
        batch: list[tuple[str, str, bytes]],
        headers: Sequence[KafkaHeaders | None] | None = None,
    ) -> None:
        """Deliver (topic, key, value) triples, with each one's `headers` when given;
        NotDelivered unless Kafka acknowledged all."""
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                failures.append(error)

        for (topic, key, value), extra in zip(batch, headers or [None] * len(batch), strict=True):
            self._producer.produce(
                topic, key=key, value=value, headers=extra, on_delivery=delivered
            )
            self._producer.poll(0)
        left = self._producer.flush(self._timeout_s)
        if left or failures:
            self._producer.purge()
            self._producer.flush(0)
            reason = failures[0] if failures else f"{left} messages unacknowledged"
            raise NotDelivered(str(reason))

    def publish_events(
        self, batch: list[events.Event], headers: Sequence[KafkaHeaders | None] | None = None
    ) -> None:
        self.publish([(e.topic, e.key, e.encode()) for e in batch], headers)
