"""The relay process: drain the outbox, follow the streams, measure lag, until SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import Counter

from chirp.core.settings import Settings
from chirp.stack import clients
from chirp.stack.relay import outbox
from chirp.stack.relay.lag import LagMonitor
from chirp.stack.relay.pacing import Focus, Pacer
from chirp.stack.relay.publisher import Publisher
from chirp.stack.relay.streams import Poll, StreamFollower
from chirp.stack.relay.wakeup import EVERYTHING, OUTBOX, WakeListener
from chirp.stack.resources import Resources
from chirp.stack.schema import tables

log = logging.getLogger(__name__)

RELAYED = Counter("chirp_relay_events_total", "Events relayed to Kafka", ["source"])
FAILURES = Counter("chirp_relay_failures_total", "Relay passes that could not deliver")
_FAILURE_PAUSE_S = 1.0
_UNHEARD_IDLE_S = 1.0
"""The longest idle pause while the relay cannot hear nudges (Redis away)."""


def run_relay(settings: Settings) -> None:
    res = Resources.open(settings)
    wake = WakeListener(clients.redis_client(settings))
    stop = threading.Event()

    def on_signal(*_: object) -> None:
        stop.set()
        wake.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    kafka = clients.kafka_config(settings)
    publisher = Publisher(kafka)
    follower = StreamFollower(
        res.dynamo,
        clients.dynamodb_streams_client(settings),
        res.pg,
        publisher,
        tables.STREAMED,
        refresh_s=settings.relay_shard_refresh_s,
    )
    monitor = LagMonitor(kafka, res.redis, settings.lag_interval_s)
    monitor.start()
    wake.start()
    pacer = Pacer(settings.relay_poll_s)
    focus = Focus()
    log.info("relay started")
    try:
        while not stop.is_set():
            try:
                moved = _one_pass(res, publisher, follower, focus)
            except Exception as error:  # Kafka or a store is down (NotDelivered): retry
                FAILURES.inc()
                log.warning("relay pass failed, will retry: %s", error)
                focus.sources = None
                stop.wait(_FAILURE_PAUSE_S)
                continue
            idle_s = settings.relay_idle_poll_s if wake.listening else _UNHEARD_IDLE_S
            rest = pacer.rest_after(moved.records, moved.full, idle_s)
            woken = False
            if pacer.is_idle(rest):
                woken = wake.wait(rest)
                if woken:
                    pacer.woken()
            else:
                stop.wait(rest)
            written = wake.take_written()
            focus.after_rest(
                None if EVERYTHING in written else written,
                woken,
                rested_to_cap=rest >= idle_s,
                active=moved.active,
            )
    finally:
        wake.stop()
        monitor.stop()
        res.close()
        log.info("relay stopped")


def _one_pass(res: Resources, publisher: Publisher, follower: StreamFollower, focus: Focus) -> Poll:
    from_outbox = outbox.drain_once(res.pg, publisher) if focus.wants(OUTBOX) else 0
    from_streams = follower.poll(focus.wants)
    RELAYED.labels("outbox").inc(from_outbox)
    RELAYED.labels("streams").inc(from_streams.records)
    return Poll(
        from_outbox + from_streams.records,
        from_streams.full or from_outbox >= outbox.BATCH,
        from_streams.active | ({OUTBOX} if from_outbox else set()),
    )
