"""The worker runtime waits out a store outage instead of parking events on the DLQ."""

import threading

import pytest
import redis

from stack import events
from stack.settings import Settings
from stack.workers.runtime import Worker, WorkerStopping


class _FlakyStore:
    group = "test"
    topics = ("tweet_created",)

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.handled: list[events.Event] = []

    def handle(self, batch: list[events.Event]) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        self.handled += batch


def _worker(handler: _FlakyStore) -> Worker:
    # Nothing listens on port 1: the Kafka clients are built but never used here.
    return Worker(handler, Settings(kafka_port=1, worker_max_attempts=1))


def _event() -> events.TweetCreated:
    return events.TweetCreated(at_ms=1, tweet_id=1, user_id=1, text="x")


def test_an_unreachable_store_is_waited_for_not_parked():
    handler = _FlakyStore(failures=3, error=redis.ConnectionError("down"))
    worker = _worker(handler)
    worker._until_stores_answer(lambda: handler.handle([_event()]))
    assert handler.handled == [_event()]


def test_a_bad_message_is_not_retried_forever():
    handler = _FlakyStore(failures=1, error=ValueError("poison"))
    with pytest.raises(ValueError):
        _worker(handler)._until_stores_answer(lambda: handler.handle([_event()]))


def test_stopping_during_an_outage_leaves_the_batch_uncommitted():
    handler = _FlakyStore(failures=10**6, error=redis.ConnectionError("down"))
    worker = _worker(handler)
    threading.Timer(0.2, worker.stop).start()
    with pytest.raises(WorkerStopping):
        worker._until_stores_answer(lambda: handler.handle([_event()]))
    assert handler.handled == []
