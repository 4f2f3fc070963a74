"""Where faults land: a provider interface, and the local provider (signals by pid).

Every fault action goes through `FaultProvider`, so a drill file does not say how a
component is broken, only what happens to it. The local provider acts on the processes
`chirp up` recorded, by pid, never by name.

Planned, with the same interface (not built yet):

- compose: `kill` → `docker kill -s KILL <service>`, `pause`/`resume` → `docker pause` /
  `docker unpause`, `stop` → `docker stop`, `restart` → `docker compose up -d --wait`,
  `flush_cache` → FLUSHALL through the published Redis port;
- aws: `kill`/`stop` → ECS `StopTask` on one task of the service (the service scheduler
  brings a replacement, so `restart` waits for the desired count), Redis loss →
  ElastiCache `TestFailover` on the replication group, Kafka → MSK `RebootBroker`;
  `pause` has no AWS equivalent and is refused there.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any, Protocol

from chirp.core.errors import FaultFailed
from chirp.core.settings import Settings
from chirp.infra.provision.local import failover, process, provider
from chirp.infra.provision.local.component import Component
from chirp.stack import clients
from chirp.stack.feed.read import regenerate_feed
from chirp.stack.resources import Resources
from chirp.stack.tweets import backpressure

StatusCallback = Callable[[str, str], None]


class FaultProvider(Protocol):
    """What the drill engine may do to a running stack."""

    def components(self) -> list[str]:
        """Every component name of the stack, as `chirp status` shows it."""
        ...

    def down(self) -> list[str]:
        """Names of components that are not running."""
        ...

    def kill(self, name: str) -> str: ...

    def pause(self, name: str) -> str: ...

    def resume(self, name: str) -> str: ...

    def stop(self, name: str) -> str: ...

    def restart(self, on_status: StatusCallback) -> str: ...

    def flush_cache(self) -> str: ...

    def regenerate_feeds(self, user_ids: list[str]) -> str: ...

    def resolve(self, name: str) -> str:
        """The component a target names: itself, or the node holding a role right now."""
        ...

    def await_redis_failover(self, timeout_s: float) -> str: ...

    def promote_postgres(self, on_status: StatusCallback, rejoin: bool) -> str: ...

    def set_backpressure(self, lag: int) -> str:
        """Make `lag` every gateway's backpressure threshold, at run time."""
        ...

    def restore_backpressure(self) -> str:
        """Put back the threshold that applied before the first `set_backpressure`."""
        ...


ROLES = ("redis-primary", "postgres-primary", "postgres-standby")
"""Targets that name a role, resolved to a node when the action runs: after a failover the
primary is another process than the one named `redis` or `postgres`."""


class LocalFaults:
    """Faults on the local provider's processes: signals to recorded pids, `up` to restart."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.resolved: dict[str, str] = {}
        """role → the node it named when an action last resolved it"""
        self._threshold_before: list[int | None] = []
        """The run-time backpressure threshold before this drill changed it (empty: unchanged)"""

    def components(self) -> list[str]:
        return [c.name for c in provider.components(self.settings)]

    def down(self) -> list[str]:
        return [s.name for s in provider.status(self.settings) if s.state != "up"]

    def kill(self, name: str) -> str:
        record = self._record(name)
        process.terminate(record, grace_s=0, sig=signal.SIGKILL)
        return f"SIGKILL to {name} (pid {record.pid})"

    def pause(self, name: str) -> str:
        record = self._record(name)
        proc = record.process()
        if proc is None:
            raise FaultFailed(f"{name} exited before it could be paused")
        proc.suspend()
        return f"SIGSTOP to {name} (pid {record.pid})"

    def resume(self, name: str) -> str:
        record = provider.running(self._component(name))
        proc = record.process() if record else None
        if record is None or proc is None:
            return f"{name} is not running; nothing to resume"
        proc.resume()
        return f"SIGCONT to {name} (pid {record.pid})"

    def stop(self, name: str) -> str:
        component = self._component(name)
        record = self._record(name)
        process.stop(
            component.pid_file, grace_s=self.settings.stop_grace_s, sig=component.stop_signal
        )
        how = signal.Signals(component.stop_signal).name
        return f"stopped {name} (pid {record.pid}, {how} then SIGKILL after the grace period)"

    def restart(self, on_status: StatusCallback) -> str:
        started = provider.up(self.settings, on_status)
        return f"started {', '.join(started)}" if started else "everything was already running"

    def flush_cache(self) -> str:
        client = clients.redis_client(self.settings, timeout=5)
        try:
            keys = client.dbsize()
            client.flushall()
        finally:
            client.close()
        return f"FLUSHALL on Redis ({keys} keys in db 0 before)"

    def regenerate_feeds(self, user_ids: list[str]) -> str:
        """Rebuild these users' feeds through the stack's own regeneration path."""
        res = Resources.open(self.settings)
        try:
            rebuilt = sum(regenerate_feed(res, int(uid)) for uid in user_ids)
        finally:
            res.close()
        return f"regenerated {rebuilt} of {len(user_ids)} feeds from the stores"

    def resolve(self, name: str) -> str:
        if name not in ROLES:
            return name
        if name == "redis-primary":
            node = failover.redis_primary(self.settings)
        elif name == "postgres-primary":
            node = failover.postgres_primary(self.settings)
        else:
            node = next(iter(failover.postgres_standbys(self.settings)), None)
        if node is None:
            raise FaultFailed(f"no running node is the {name} now; is the stack up?")
        self.resolved[name] = node
        return node

    def await_redis_failover(self, timeout_s: float) -> str:
        """Wait for Sentinel to promote another node than the primary a drill killed."""
        old = self.resolved.get("redis-primary") or failover.redis_primary(self.settings)
        if old is None:
            raise FaultFailed("Sentinel knows no Redis primary; is the stack up?")
        done = failover.await_redis_promotion(self.settings, old, timeout_s)
        return f"Sentinel promoted {done.new_primary} {done.seconds:.1f}s after {old} was lost"

    def promote_postgres(self, on_status: StatusCallback, rejoin: bool) -> str:
        done = failover.failover_postgres(self.settings, on_status, rejoin=rejoin)
        rejoined = f"; {', '.join(done.rejoined)} rejoined as standby" if done.rejoined else ""
        return (
            f"promoted {done.new_primary} in {done.promote_s:.2f}s "
            f"({done.old_primary} was primary){rejoined}; {done.total_s:.1f}s in all"
        )

    def set_backpressure(self, lag: int) -> str:
        before = self._with_redis(lambda client: backpressure.set_threshold(client, lag))
        if not self._threshold_before:
            self._threshold_before.append(before)
        return f"backpressure threshold {lag} on every gateway (was {self._describe(before)})"

    def restore_backpressure(self) -> str:
        if not self._threshold_before:
            return "the backpressure threshold was not changed"
        before = self._threshold_before.pop()
        self._with_redis(lambda client: backpressure.set_threshold(client, before))
        return f"backpressure threshold back to {self._describe(before)}"

    def _describe(self, threshold: int | None) -> str:
        if threshold is None:
            return f"the setting's {self.settings.backpressure_lag}"
        return str(threshold)

    def _with_redis(self, work: Callable[[Any], int | None]) -> int | None:
        client = clients.redis_client(self.settings, timeout=5)
        try:
            return work(client)
        finally:
            client.close()

    def _component(self, name: str) -> Component:
        return provider.find(self.settings, name)

    def _record(self, name: str) -> process.ProcessRecord:
        record = provider.running(self._component(name))
        if record is None:
            raise FaultFailed(f"{name} is not running; nothing to act on")
        return record
