"""Faults on the local provider's processes: signals to recorded pids, `up` to restart.

It acts on the processes `chirp up` recorded, by pid, never by name.
"""

from __future__ import annotations

import signal

from chirp.core.components import ROLE_TARGETS
from chirp.core.edgestats import EdgeCounters, read_counters
from chirp.core.errors import FaultFailed
from chirp.core.provider import Fault, StatusCallback
from chirp.core.provider_defaults import NoFaults
from chirp.core.settings import Settings
from chirp.infra.provision.local import failover, process, provider
from chirp.infra.provision.local.component import Component
from chirp.infra.provision.local.edge import Edge


class LocalFaults(NoFaults):
    """Faults on the local provider's processes: signals to recorded pids, `up` to restart."""

    provider = "local"
    supported = frozenset(
        {Fault.KILL, Fault.PAUSE, Fault.STOP, Fault.RESTART, Fault.FAILOVER, Fault.EDGE}
    )

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.resolved: dict[str, str] = {}
        """role → the node it named when an action last resolved it"""

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

    def resolve(self, name: str) -> str:
        if name not in ROLE_TARGETS:
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

    def edge_counters(self) -> EdgeCounters | None:
        return read_counters(Edge(self.settings).work_dir)

    def _component(self, name: str) -> Component:
        return provider.find(self.settings, name)

    def _record(self, name: str) -> process.ProcessRecord:
        record = provider.running(self._component(name))
        if record is None:
            raise FaultFailed(f"{name} is not running; nothing to act on")
        return record
