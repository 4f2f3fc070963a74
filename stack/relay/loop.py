"""The relay process: drain the outbox, follow the streams, measure lag, until SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import Counter

from stack import clients
from stack.relay import outbox
from stack.relay.lag import LagMonitor
from stack.relay.publisher import Publisher
from stack.relay.streams import StreamFollower
from stack.resources import Resources
from stack.schema import tables
from stack.settings import Settings

log = logging.getLogger(__name__)

RELAYED = Counter("chirp_relay_events_total", "Events relayed to Kafka", ["source"])
FAILURES = Counter("chirp_relay_failures_total", "Relay passes that could not deliver")
_IDLE_MAX_S = 0.2
_FAILURE_PAUSE_S = 1.0


def run_relay(settings: Settings) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    res = Resources.open(settings)
    kafka = clients.kafka_config(settings)
    publisher = Publisher(kafka)
    follower = StreamFollower(
        res.dynamo, clients.dynamodb_streams_client(settings), res.pg, publisher, tables.STREAMED
    )
    monitor = LagMonitor(kafka, res.redis)
    monitor.start()
    idle_s = settings.relay_poll_s
    log.info("relay started")
    try:
        while not stop.is_set():
            try:
                moved = _one_pass(res, publisher, follower)
            except Exception as error:  # Kafka or a store is down (NotDelivered): retry
                FAILURES.inc()
                log.warning("relay pass failed, will retry: %s", error)
                stop.wait(_FAILURE_PAUSE_S)
                continue
            idle_s = settings.relay_poll_s if moved else min(_IDLE_MAX_S, idle_s * 2)
            if not moved:
                stop.wait(idle_s)
    finally:
        monitor.stop()
        res.close()
        log.info("relay stopped")


def _one_pass(res: Resources, publisher: Publisher, follower: StreamFollower) -> int:
    from_outbox = outbox.drain_once(res.pg, publisher)
    from_streams = follower.poll()
    RELAYED.labels("outbox").inc(from_outbox)
    RELAYED.labels("streams").inc(from_streams)
    return from_outbox + from_streams
