"""The chirp processes the AWS deployment runs, and what each one consumes.

A worker's consumer group and main topic name the CloudWatch consumer-lag
metric its autoscaling and alarms watch (MSK's `SumOffsetLag` per group and
topic). The group ids are the worker names; `stack.run` must use the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from chirp.core.components import GATEWAY as GATEWAY
from chirp.core.components import WORKER_ROLES

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


WORKERS: tuple[Worker, ...] = tuple(
    Worker(role.name, topic=role.lag_topic) for role in WORKER_ROLES
)

WORKER_NAMES: tuple[str, ...] = tuple(worker.name for worker in WORKERS)
