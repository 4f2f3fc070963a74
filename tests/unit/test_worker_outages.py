"""The worker runtime waits out a store outage instead of parking events on the DLQ."""

import gc
import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest
import redis
from tenacity import RetryCallState

from chirp.core.settings import Settings
from chirp.stack import events
from chirp.stack.workers.runtime import Worker, WorkerStopping


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


@pytest.fixture
def make_worker() -> Iterator[Callable[..., Worker]]:
    """Workers whose Kafka clients point where nothing listens (port 1): built, never
    used, and closed after the test so librdkafka stops retrying the connection."""
    made: list[Worker] = []

    def make(handler: _FlakyStore, attempts: int = 1) -> Worker:
        made.append(Worker(handler, Settings(kafka_port=1, worker_max_attempts=attempts)))
        return made[-1]

    yield make
    for worker in made:
        worker.close()
    made.clear()
    gc.collect()  # a Producer has no close: it stops connecting when it is freed


def _event() -> events.TweetCreated:
    return events.TweetCreated(at_ms=1, tweet_id=1, user_id=1, text="x")


def test_an_unreachable_store_is_waited_for_not_parked(make_worker):
    handler = _FlakyStore(failures=3, error=redis.ConnectionError("down"))
    worker = make_worker(handler)
    worker._until_stores_answer(lambda: handler.handle([_event()]))
    assert handler.handled == [_event()]


def test_a_bad_message_is_not_retried_forever(make_worker):
    handler = _FlakyStore(failures=1, error=ValueError("poison"))
    with pytest.raises(ValueError):
        make_worker(handler)._until_stores_answer(lambda: handler.handle([_event()]))


def test_a_bad_message_is_tried_worker_max_attempts_times(make_worker):
    handler = _FlakyStore(failures=10, error=ValueError("poison"))
    with pytest.raises(ValueError):
        make_worker(handler, 3)._until_stores_answer(lambda: handler.handle([_event()]))
    assert handler.failures == 10 - 3


def test_an_outage_outlasts_worker_max_attempts(make_worker):
    handler = _FlakyStore(failures=5, error=psycopg.OperationalError("no primary"))
    make_worker(handler, 2)._until_stores_answer(lambda: handler.handle([_event()]))
    assert handler.handled == [_event()]


def test_pauses_double_from_a_twentieth_of_a_second_up_to_ten_seconds(make_worker):
    policy = make_worker(_FlakyStore(0, ValueError()), 3).retrying()
    pauses = []
    for attempt in range(1, 16):
        state = RetryCallState(policy, fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        pauses.append(policy.wait(state))
    assert 0.05 <= pauses[0] <= 0.1
    assert 0.1 <= pauses[1] <= 0.15
    assert all(pause <= 10 for pause in pauses)
    assert pauses[-1] == 10


def test_stopping_during_an_outage_leaves_the_batch_uncommitted(make_worker):
    handler = _FlakyStore(failures=10**6, error=redis.ConnectionError("down"))
    worker = make_worker(handler)
    threading.Timer(0.2, worker.stop).start()
    with pytest.raises(WorkerStopping):
        worker._until_stores_answer(lambda: handler.handle([_event()]))
    assert handler.handled == []
