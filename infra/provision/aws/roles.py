"""The chirp processes the AWS deployment runs, and what each one consumes.

A worker's consumer group and main topic name the CloudWatch consumer-lag
metric its autoscaling and alarms watch (MSK's `SumOffsetLag` per group and
topic). The group ids are the worker names; `stack.run` must use the same.
"""

from __future__ import annotations

from dataclasses import dataclass

GATEWAY = "gateway"
GATEWAY_PORT = 8101
"""The port a gateway container listens on (the local provider's first gateway port)."""
METRICS_PORT = 9100
"""Every task serves its Prometheus metrics here, reachable from the monitoring group only."""


@dataclass(frozen=True)
class Worker:
    """One worker type: how it is started and which lag, if any, scales it."""

    name: str
    topic: str | None
    """The topic whose lag scales it; None for a worker that consumes no Kafka topic."""

    @property
    def consumer_group(self) -> str | None:
        return self.name if self.topic else None

    @property
    def command(self) -> list[str]:
        return ["python", "-m", "chirp.stack.run", self.name, "--port", str(METRICS_PORT)]


WORKERS: tuple[Worker, ...] = (
    # The relay publishes acknowledged writes to Kafka; it consumes no topic.
    Worker("relay", topic=None),
    Worker("fanout", topic="tweet_created"),
    Worker("search-indexer", topic="tweet_created"),
    Worker("trending", topic="tweet_created"),
    Worker("notify", topic="tweet_created"),
    Worker("analytics", topic="tweet_created"),
    # Purges deleted and edited tweets from CloudFront again, behind the gateways' purge.
    Worker("edge-purger", topic="tweet_deleted"),
)

WORKER_NAMES: tuple[str, ...] = tuple(worker.name for worker in WORKERS)
