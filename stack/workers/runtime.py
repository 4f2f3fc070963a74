"""The loop every consumer-group worker runs.

At-least-once: offsets are committed only after a batch was handled (or its
poison messages were parked on the group's `.dlq` topic, and Kafka acknowledged
them), so a crash replays the batch and handlers must be idempotent. A batch whose
dead letters Kafka did not take is not committed: the consumer goes back to its
start and tries again. SIGTERM stops after the batch in hand, commits, and leaves
the group cleanly.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import botocore.exceptions
import opensearchpy
import psycopg
import psycopg_pool
import redis
from confluent_kafka import (
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from prometheus_client import Counter, Histogram
from tenacity import (
    RetryCallState,
    Retrying,
    stop_after_attempt,
    stop_all,
    stop_any,
    stop_when_event_set,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from chirp.core.settings import Settings
from chirp.stack import clients, events, tracing
from chirp.stack.schema.topics import dlq_topic

log = logging.getLogger(__name__)

_BATCH = 500
_DLQ_TIMEOUT_S = 10
"""How long Kafka has to acknowledge a dead letter before the batch is tried again."""
_FIRST_PAUSE_S = 0.05
_LONGEST_PAUSE_S = 10.0

PROCESSED = Counter("chirp_worker_events_total", "Events handled", ["group", "topic"])
PARKED = Counter("chirp_worker_dlq_total", "Events parked on the DLQ", ["group", "topic"])
BATCH_SECONDS = Histogram(
    "chirp_worker_batch_seconds",
    "Time to handle one batch",
    ["group"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


OUTAGE_WAITS = Counter(
    "chirp_worker_outage_waits_total", "Pauses while a store was unreachable", ["group"]
)

# Errors that say a store is down, not that the message is bad.
TRANSIENT: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    redis.ConnectionError,
    redis.TimeoutError,
    redis.BusyLoadingError,
    opensearchpy.ConnectionError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectionClosedError,
    botocore.exceptions.ReadTimeoutError,
)


class WorkerStopping(Exception):
    """Stopped while waiting out an outage: the batch stays uncommitted."""


class Handler(Protocol):
    """What a worker does with its events; must be safe to run twice on the same events."""

    group: str
    topics: Sequence[str]

    def handle(self, batch: list[events.Event]) -> None: ...


class Worker:
    """Consumes `handler.topics` as group `handler.group` until stopped."""

    def __init__(self, handler: Handler, settings: Settings) -> None:
        self.handler = handler
        self.settings = settings
        self._stop = threading.Event()
        self._consumer = Consumer(
            {
                **clients.kafka_config(settings),
                "group.id": handler.group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "partition.assignment.strategy": "cooperative-sticky",
                # The broker answers a fetch as soon as a message is there; the wait only
                # sets how often an idle consumer asks again.
                "fetch.wait.max.ms": 2000,
                "log_level": 3,
            }
        )
        self._dlq = Producer(
            {
                **clients.kafka_config(settings),
                "enable.idempotence": True,
                "message.timeout.ms": _DLQ_TIMEOUT_S * 1000,
            }
        )
        self._dlq_failures: list[str] = []

    def stop(self, *_: object) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self) -> None:
        self._consumer.subscribe(list(self.handler.topics))
        log.info("worker %s consuming %s", self.handler.group, ", ".join(self.handler.topics))
        try:
            while not self._stop.is_set():
                messages = self.next_batch()
                if messages:
                    self.process(messages)
        except WorkerStopping:
            log.info("stopped during an outage; the batch in hand stays uncommitted")
        finally:
            self.close()
            log.info("worker %s stopped", self.handler.group)

    def next_batch(self) -> list[Message]:
        """Up to a batch, handed over as soon as one message is there: waits up to
        `worker_poll_s` for the first, then takes what else is already fetched. (A
        `consume` with a timeout would hold a lone message until the timeout ran out.)"""
        first = self._consumer.poll(self.settings.worker_poll_s)
        if first is None:
            return []
        return [first, *self._consumer.consume(num_messages=_BATCH - 1, timeout=0)]

    def close(self) -> None:
        """Leave the group and send what the dead-letter producer still holds."""
        self._consumer.close()
        self._dlq.flush(10)

    def process(self, messages: list[Message]) -> None:
        """Handle one batch, park what cannot be handled, then commit."""
        decoded: list[tuple[Message, events.Event]] = []
        for message in messages:
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer error: %s", message.error())
                continue
            try:
                decoded.append((message, events.decode(message.value())))
            except ValueError as error:
                self._park(message, str(error))
        if decoded:
            with (
                BATCH_SECONDS.labels(self.handler.group).time(),
                tracing.consuming(self.handler.group, _traced(decoded)),
            ):
                self._handle(decoded)
        if not self._dead_letters_delivered():
            self._rewind(messages)
            return
        try:
            self._consumer.commit(asynchronous=False)
        except KafkaException as error:
            # After a rebalance took the partitions away there is nothing of ours to commit;
            # the new owner replays the batch, which handlers tolerate.
            if error.args[0].code() != KafkaError._NO_OFFSET:
                log.warning("commit failed: %s", error)

    def _dead_letters_delivered(self) -> bool:
        """Whether Kafka acknowledged every message parked since the last check."""
        waiting = self._dlq.flush(_DLQ_TIMEOUT_S + 5)
        failures, self._dlq_failures = self._dlq_failures, []
        if waiting or failures:
            reason = failures[0] if failures else f"{waiting} still unacknowledged"
            log.error("dead letters not delivered (%s); the batch will be tried again", reason)
            return False
        return True

    def _rewind(self, messages: list[Message]) -> None:
        """Go back to the first offset of the batch in each partition, uncommitted."""
        first: dict[tuple[str, int], int] = {}
        for message in messages:
            if message.error() is None:
                place = (message.topic(), message.partition())
                first[place] = min(first.get(place, message.offset()), message.offset())
        for (topic, partition), offset in first.items():
            try:
                self._consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as error:  # the partition moved to another consumer
                log.warning("could not rewind %s[%d]: %s", topic, partition, error)
        self._stop.wait(1.0)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._dlq_failures.append(f"{message.topic()}: {error.str()}")

    def _handle(self, decoded: list[tuple[Message, events.Event]]) -> None:
        try:
            self._until_stores_answer(lambda: self.handler.handle([e for _, e in decoded]))
        except WorkerStopping:
            raise
        except Exception:
            log.exception("batch of %d failed; retrying one by one", len(decoded))
            for message, event in decoded:
                try:
                    self._until_stores_answer(lambda event=event: self.handler.handle([event]))
                except WorkerStopping:
                    raise
                except Exception as error:
                    self._park(message, f"{type(error).__name__}: {error}")
                    continue
                PROCESSED.labels(self.handler.group, message.topic()).inc()
            return
        for message, _ in decoded:
            PROCESSED.labels(self.handler.group, message.topic()).inc()

    def _until_stores_answer(self, work: Callable[[], None]) -> None:
        """Run `work` with quick retries; while a store is unreachable, keep waiting for it.

        An outage is not a poison message: parking would lose the event for good, so the
        batch waits (uncommitted) until the store answers again or the worker is stopped,
        in which case the batch is redelivered to whoever consumes next. Any other error
        is tried `worker_max_attempts` times, then raised."""
        try:
            self.retrying()(work)
        except TRANSIENT as error:  # only given up on when the worker stops
            raise WorkerStopping from error

    def retrying(self) -> Retrying:
        """The one retry policy of a batch: pauses doubling from 0.05 s to at most 10 s
        (with a little jitter), cut short when the worker stops."""
        return Retrying(
            stop=stop_any(
                stop_when_event_set(self._stop),
                stop_all(stop_after_attempt(self.settings.worker_max_attempts), _NotAnOutage()),
            ),
            wait=wait_exponential_jitter(
                multiplier=_FIRST_PAUSE_S, max=_LONGEST_PAUSE_S, jitter=_FIRST_PAUSE_S
            ),
            sleep=self._pause,
            before_sleep=self._note_outage,
            reraise=True,
        )

    def _pause(self, seconds: float) -> None:
        self._stop.wait(seconds)  # returns at once when the worker stops

    def _note_outage(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TRANSIENT):
            log.warning(
                "a store is unreachable (%s); retrying in %.1fs", error, state.upcoming_sleep
            )
            OUTAGE_WAITS.labels(self.handler.group).inc()

    def _park(self, message: Message, reason: str) -> None:
        log.error(
            "parking %s[%d]@%d: %s", message.topic(), message.partition(), message.offset(), reason
        )
        self._dlq.produce(
            dlq_topic(self.handler.group),
            key=message.key(),
            value=message.value(),
            headers={
                "error": reason[:1000],
                "source_topic": message.topic(),
                "source_partition": str(message.partition()),
                "source_offset": str(message.offset()),
            },
            on_delivery=self._delivered,
        )
        PARKED.labels(self.handler.group, message.topic()).inc()


class _NotAnOutage(stop_base):
    """Stops on any error but one saying a store is down: outages are waited out."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        return not isinstance(outcome.exception() if outcome else None, TRANSIENT)


def _traced(decoded: list[tuple[Message, events.Event]]) -> list[tuple[str, int, tracing.Carrier]]:
    """(topic, tweet id, trace context) of the messages that carry a trace context."""
    found = []
    for message, event in decoded:
        tweet_id = getattr(event, "tweet_id", None)
        headers = message.headers()
        if tweet_id is not None and isinstance(headers, list):
            carrier = tracing.from_headers(headers)
            if carrier:
                found.append((event.topic, int(tweet_id), carrier))
    return found
