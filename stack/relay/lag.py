"""Consumer lag of every group, measured from outside the consumers.

Runs in the relay, not in the workers: a stopped or stuck worker cannot report
its own lag, and that is exactly when backpressure must see it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

import redis
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import Gauge

from stack.schema import topics
from stack.tweets.backpressure import lag_key

log = logging.getLogger(__name__)

LAG = Gauge("chirp_consumer_lag", "Messages not yet processed", ["group", "topic", "partition"])
GROUP_LAG = Gauge("chirp_consumer_group_lag", "Total lag of a consumer group", ["group"])


class LagMonitor:
    """Every `interval_s`, computes each group's lag into Prometheus and Redis."""

    def __init__(
        self, connection: Mapping[str, str], cache: redis.Redis, interval_s: float = 1.0
    ) -> None:
        self._cache = cache
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._admin = AdminClient({**connection, "log_level": 3})
        # Only asked for watermarks; it never subscribes, so it never joins a group.
        self._watermarks = Consumer({**connection, "group.id": "chirp-lag-monitor", "log_level": 3})

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
                log.warning("lag measurement failed: %s", error)

    def measure_all(self) -> dict[str, int]:
        metadata = self._admin.list_topics(timeout=5)
        totals = {}
        for group, group_topics in topics.SUBSCRIPTIONS.items():
            partitions = [
                TopicPartition(t, p)
                for t in group_topics
                if t in metadata.topics
                for p in metadata.topics[t].partitions
            ]
            totals[group] = self._group_lag(group, partitions)
        with self._cache.pipeline(transaction=False) as pipe:
            for group, total in totals.items():
                pipe.set(lag_key(group), total, ex=max(5, int(self._interval_s * 10)))
            pipe.execute()
        return totals

    def _group_lag(self, group: str, partitions: list[TopicPartition]) -> int:
        request = [ConsumerGroupTopicPartitions(group, partitions)]
        answer = self._admin.list_consumer_group_offsets(request)[group].result(timeout=5)
        total = 0
        for tp in answer.topic_partitions:
            low, high = self._watermarks.get_watermark_offsets(tp, timeout=5, cached=False)
            position = tp.offset if tp.offset >= 0 else low
            lag = max(0, high - position)
            LAG.labels(group, tp.topic, str(tp.partition)).set(lag)
            total += lag
        GROUP_LAG.labels(group).set(total)
        return total
