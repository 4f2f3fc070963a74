"""The provider seam: what every place chirp runs (local, compose, aws) offers.

The CLI picks one provider (`chirp.infra.provision.provider_for`) and hands it to
whatever needs the stack: `chirp up/down/status`, the dashboard, the drills, the load
and bench runs. Nothing past the CLI knows which provider it talks to. A provider that
cannot do something raises `ProviderLacks`, whose message says so in one line.
`core.stackview` holds what a provider shows of the stack, `core.provider_defaults` what
it answers for what it lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from chirp.core.edgestats import EdgeCounters
from chirp.core.settings import Settings
from chirp.core.stackview import (
    AlertHistoryLike,
    AlertView,
    ComponentLog,
    ComponentStatus,
    CpuView,
    Endpoints,
    FiguresView,
)

StatusCallback = Callable[[str, str], None]
"""Called with (component name, what it is doing now)."""


class Fault(StrEnum):
    """What a provider may do to one running component (or to the whole stack)."""

    KILL = "kill"
    """SIGKILL-like: gone at once, no cleanup."""
    PAUSE = "pause"
    """Frozen: keeps its sockets, answers nothing, until resumed."""
    STOP = "stop"
    """Its stop signal, then killed after the grace period."""
    RESTART = "restart"
    """Bring back every component that is not running."""
    PARTITION = "partition"
    """Cut off from the network while it keeps running."""
    SLOW = "slow"
    """Answers late: added latency on its traffic."""
    FAILOVER = "failover"
    """Follow or force a primary role to a replica (Redis Sentinel, PostgreSQL promote)."""
    EDGE = "edge"
    """Read the edge cache's own counters."""


@dataclass(frozen=True)
class UpRequest:
    """What `chirp up` asked for; None keeps what the last `up` chose."""

    gateways: int | None = None
    prometheus: bool | None = None
    pg_replicas: int | None = None
    profile: str | None = None
    yes: bool = False
    """aws: change the cloud without asking."""


@dataclass
class UpReport:
    started: list[str] = field(default_factory=list)
    """Components this `up` started (empty: all ran already, or the provider does not say)."""


@dataclass
class DownReport:
    stopped: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    """Paths `--purge` deleted."""


@runtime_checkable
class Faults(Protocol):
    """What a drill may do to a running stack, through one provider."""

    settings: Settings
    supported: frozenset[Fault]

    def components(self) -> list[str]:
        """Every component name of the stack, as `chirp status` shows it."""
        ...

    def down(self) -> list[str]:
        """Names of components that are not running."""
        ...

    def resolve(self, name: str) -> str:
        """The component a target names: itself, or the node holding a role right now."""
        ...

    def kill(self, name: str) -> str: ...

    def pause(self, name: str) -> str: ...

    def resume(self, name: str) -> str: ...

    def stop(self, name: str) -> str: ...

    def partition(self, name: str) -> str: ...

    def slow(self, name: str, delay_ms: int) -> str: ...

    def restart(self, on_status: StatusCallback) -> str: ...

    def await_redis_failover(self, timeout_s: float) -> str: ...

    def promote_postgres(self, on_status: StatusCallback, rejoin: bool) -> str: ...

    def edge_counters(self) -> EdgeCounters | None: ...


@runtime_checkable
class Provider(Protocol):
    """One place the stack runs: its lifecycle, what it looks like, and its faults."""

    name: str
    settings: Settings
    reports_components: bool
    """Whether `up`, `down` and `status` report each component (else they print their steps)."""

    def up(self, request: UpRequest, on_status: StatusCallback) -> UpReport: ...

    def down(self, purge: bool, on_status: StatusCallback, yes: bool = False) -> DownReport: ...

    def status(self) -> list[ComponentStatus]: ...

    def not_running(self) -> list[str]:
        """Names of the components that do not run (cheap: no server is asked anything)."""
        ...

    def endpoints(self) -> Endpoints: ...

    def logs(self, component: str) -> ComponentLog: ...

    def figures(self) -> FiguresView: ...

    def alerts(self) -> list[AlertView] | None:
        """Pending and firing alerts; None when nothing watches (no Prometheus)."""
        ...

    def cpu(self, seconds: float) -> CpuView: ...

    def edge_counters(self) -> EdgeCounters | None:
        """The edge cache's own counters; None when it does not answer."""
        ...

    def faults(self) -> Faults: ...

    def alert_history(self, start: float, end: float) -> AlertHistoryLike:
        """The alerts that fired in [start, end] (epoch seconds), or a note why there are none."""
        ...


def missing_faults(needed: frozenset[Fault], faults: Faults) -> list[Fault]:
    """The faults a drill needs that the provider lacks, in a fixed order."""
    return [fault for fault in Fault if fault in needed and fault not in faults.supported]
