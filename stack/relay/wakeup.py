"""A nudge that wakes an idle relay the moment a write it must publish is committed.

The gateways publish one (empty) message on a Redis channel after each write to a
streamed table or the outbox; the relay listens and cuts its idle pause short. So an
idle relay can poll DynamoDB Streams every few seconds (each GetRecords makes DynamoDB
Local scan its stream-record table) and still pick a lone post up at once.

A nudge names what was written (streamed tables by name, `OUTBOX`), and the relay's next
passes read only those: a GetRecords on a stream with nothing new is not free on DynamoDB
Local (an empty engagements stream costs tens of milliseconds while a post waits behind
it), and a post need not pay for it.

Best effort on both sides: a nudge that is lost (Redis away, the relay restarting) only
means the write waits for the next poll of everything; the stores of record stay the truth.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import redis

log = logging.getLogger(__name__)

CHANNEL = "chirp:relay:wake"
OUTBOX = "outbox"
EVERYTHING = "*"
"""What a nudge that names nothing stands for."""
_RETRY_S = 1.0
_READ_S = 5.0


def nudge(client: redis.Redis, *written: str) -> None:
    """Tell the relay what was written (streamed tables by name, `OUTBOX`); never fails
    the caller's request."""
    with contextlib.suppress(redis.RedisError):  # the relay's next poll finds it anyway
        client.publish(CHANNEL, ",".join(written) or EVERYTHING)


def named(message: str | bytes) -> frozenset[str]:
    """The sources a nudge's message names."""
    text = message.decode() if isinstance(message, bytes) else message
    return frozenset(text.split(",")) if text else frozenset({EVERYTHING})


class WakeListener:
    """Listens for nudges on its own thread; `wait` returns early when one arrives."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._nudged = threading.Event()
        self._written: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.listening = False
        """Subscribed right now: while not, nudges cannot arrive and the relay polls often."""

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="relay-wakeup", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
        self._nudged.set()

    def wait(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for a nudge (or `stop`); True when one came."""
        nudged = self._nudged.wait(timeout_s)
        self._nudged.clear()
        return nudged

    def take_written(self) -> frozenset[str]:
        """What the nudges since the last call named (`EVERYTHING` for a blank one)."""
        with self._lock:
            written = frozenset(self._written)
            self._written.clear()
        return written

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except (redis.RedisError, OSError) as error:
                log.info("relay wake-up channel unavailable (%s); polling meanwhile", error)
            self.listening = False
            self._stop.wait(_RETRY_S)

    def _listen(self) -> None:
        with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
            pubsub.subscribe(CHANNEL)
            self.listening = True
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=_READ_S)
                if message is not None:
                    with self._lock:
                        self._written |= named(message["data"])
                    self._nudged.set()
