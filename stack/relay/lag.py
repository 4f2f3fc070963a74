"""Consumer lag of every group, measured from outside the consumers.

Runs in the relay, not in the workers: a stopped or stuck worker cannot report
its own lag, and that is exactly when backpressure must see it.

Every `interval_s` it asks Kafka once for the end offset of every partition (one
ListOffsets for them all, shared by the groups) and once per group for its
committed offsets: a handful of requests, whatever the partition count.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping

import redis
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from prometheus_client import Gauge

from chirp.stack.schema import topics
from chirp.stack.tweets.backpressure import lag_key

log = logging.getLogger(__name__)

LAG = Gauge("chirp_consumer_lag", "Messages not yet processed", ["group", "topic", "partition"])
GROUP_LAG = Gauge("chirp_consumer_group_lag", "Total lag of a consumer group", ["group"])

Partition = tuple[str, int]
"""(topic, partition)"""
_TIMEOUT_S = 5.0


def partition_lags(
    committed: Mapping[Partition, int],
    ends: Mapping[Partition, int],
    starts: Mapping[Partition, int],
) -> dict[Partition, int]:
    """Each partition's lag: its end offset minus the group's committed offset, or minus
    its start offset where the group committed nothing (it will read from the start)."""
    lags = {}
    for partition, end in ends.items():
        position = committed.get(partition, -1)
        if position < 0:
            position = starts.get(partition, end)
        lags[partition] = max(0, end - position)
    return lags


class GroupLags:
    """Each consumer group's lag per partition, asked of Kafka's admin API (two or three
    requests for every group at once), with no side effects."""

    def __init__(
        self,
        connection: Mapping[str, str],
        subscriptions: Mapping[str, Iterable[str]] = topics.SUBSCRIPTIONS,
    ) -> None:
        self._connection = dict(connection)
        self._subscriptions = subscriptions
        self._admin = self._connect()

    def reconnect(self) -> None:
        """A client that lived through a broker restart may never get an answer about
        group offsets again; a new one does."""
        self._admin = self._connect()

    def _connect(self) -> AdminClient:
        return AdminClient({**self._connection, "log_level": 3})

    def measure(self) -> dict[str, dict[Partition, int]]:
        subscribed = self._subscribed_partitions()
        every = {p for partitions in subscribed.values() for p in partitions}
        ends = self._offsets(every, OffsetSpec.latest())
        committed = {group: self._committed(group, parts) for group, parts in subscribed.items()}
        uncommitted = {
            p
            for group, parts in subscribed.items()
            for p in parts
            if committed[group].get(p, -1) < 0
        }
        starts = self._offsets(uncommitted, OffsetSpec.earliest())
        return {
            group: partition_lags(committed[group], {p: ends[p] for p in partitions}, starts)
            for group, partitions in subscribed.items()
        }

    def totals(self) -> dict[str, int]:
        return {group: sum(lags.values()) for group, lags in self.measure().items()}

    def _subscribed_partitions(self) -> dict[str, list[Partition]]:
        metadata = self._admin.list_topics(timeout=_TIMEOUT_S)
        return {
            group: [
                (topic, partition)
                for topic in group_topics
                if topic in metadata.topics
                for partition in metadata.topics[topic].partitions
            ]
            for group, group_topics in self._subscriptions.items()
        }

    def _offsets(self, partitions: Iterable[Partition], spec: OffsetSpec) -> dict[Partition, int]:
        request = {TopicPartition(t, p): spec for t, p in partitions}
        if not request:
            return {}
        answers = self._admin.list_offsets(request, request_timeout=_TIMEOUT_S)
        return {(tp.topic, tp.partition): f.result().offset for tp, f in answers.items()}

    def _committed(self, group: str, partitions: list[Partition]) -> dict[Partition, int]:
        request = [
            ConsumerGroupTopicPartitions(group, [TopicPartition(t, p) for t, p in partitions])
        ]
        answers = self._admin.list_consumer_group_offsets(request, request_timeout=_TIMEOUT_S)
        answer = answers[group].result(timeout=_TIMEOUT_S)
        return {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions}


class LagMonitor:
    """Every `interval_s`, computes each group's lag into Prometheus and Redis."""

    def __init__(
        self,
        connection: Mapping[str, str],
        cache: redis.Redis,
        interval_s: float = 2.0,
        subscriptions: Mapping[str, Iterable[str]] = topics.SUBSCRIPTIONS,
    ) -> None:
        self._cache = cache
        self._interval_s = interval_s
        self._lags = GroupLags(connection, subscriptions)
        self._stop = threading.Event()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="lag-monitor", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.measure_all()
            except Exception as error:  # Kafka or Redis down: try again next tick
                log.warning("lag measurement failed (%r); reconnecting", error)
                self._lags.reconnect()

    def measure_all(self) -> dict[str, int]:
        """Every group's total lag, also set as gauges and in Redis (`lag:{group}`)."""
        totals = {}
        for group, lags in self._lags.measure().items():
            for (topic, partition), lag in lags.items():
                LAG.labels(group, topic, str(partition)).set(lag)
            totals[group] = sum(lags.values())
            GROUP_LAG.labels(group).set(totals[group])
        with self._cache.pipeline(transaction=False) as pipe:
            for group, total in totals.items():
                pipe.set(lag_key(group), total, ex=max(5, int(self._interval_s * 10)))
            pipe.execute()
        return totals
