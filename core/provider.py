"""The provider seam: what every place chirp runs (local, compose, aws) offers.

The CLI picks one provider (`chirp.infra.provision.provider_for`) and hands it to
whatever needs the stack: `chirp up/down/status`, the dashboard, the drills, the load
and bench runs. Nothing past the CLI knows which provider it talks to. A provider that
cannot do something raises `ProviderLacks`, whose message says so in one line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from chirp.core.edgestats import EdgeCounters
from chirp.core.errors import ChirpError
from chirp.core.settings import Settings

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


class ProviderLacks(ChirpError):
    """The chosen provider cannot do what was asked; one line says which and what to do."""

    def __init__(self, provider: str, what: str, hint: str = "") -> None:
        advice = f"; {hint}" if hint else ""
        super().__init__(f"the {provider} provider has no {what}{advice}")
        self.provider = provider
        self.what = what


class FaultFailed(ChirpError):
    """A fault the provider has could not be carried out on the stack as it is now."""


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    state: str
    pid: int | None
    ports: list[int]
    uptime_s: float | None
    rss_mb: float | None
    endpoint: str
    role: str | None = None
    """primary or replica, for the PostgreSQL and Redis nodes that answer."""
    replication: dict[str, object] | None = None
    """A replica's lag behind its primary (bytes and seconds for PostgreSQL)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "pid": self.pid,
            "ports": self.ports,
            "uptime_s": None if self.uptime_s is None else round(self.uptime_s, 1),
            "rss_mb": None if self.rss_mb is None else round(self.rss_mb, 1),
            "endpoint": self.endpoint,
            "role": self.role,
            "replication": self.replication,
        }


@dataclass(frozen=True)
class Endpoints:
    """Where the running stack answers, as this machine reaches it."""

    api: str
    """The load balancer's base URL."""
    gateways: tuple[str, ...]
    """Each gateway's base URL, gateway-1 first (its /metrics is under it)."""
    relay_metrics: str
    """The relay's /metrics URL: consumer lag per group."""
    metrics: Mapping[str, str] = field(default_factory=dict)
    """Every stack process's /metrics URL (gateways, relay, workers), by component name."""

    @property
    def gateway_count(self) -> int:
        return len(self.gateways)


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


@dataclass(frozen=True)
class ComponentLog:
    """Where one component writes its log."""

    path: Path

    def tail(self, lines: int = 20) -> str:
        try:
            with self.path.open(errors="replace") as handle:
                return "".join(deque(handle, maxlen=lines))
        except OSError:
            return ""


class FiguresView(Protocol):
    """Headline figures of the running stack, as `chirp status` prints them."""

    @property
    def consumer_lag(self) -> dict[str, int]: ...

    @property
    def feed_cache_hit_rate(self) -> float | None: ...

    @property
    def feed_read_p99_ms(self) -> float | None: ...

    @property
    def edge_hit_ratio(self) -> float | None: ...

    def as_dict(self) -> dict[str, object]: ...


class AlertView(Protocol):
    """One pending or firing alert."""

    @property
    def name(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def active_at(self) -> str | None: ...

    def as_dict(self) -> dict[str, object]: ...


class CpuUseView(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def percent(self) -> float: ...


class CpuView(Protocol):
    """CPU of each component over a measured window, in percent of one core."""

    @property
    def seconds(self) -> float: ...

    @property
    def components(self) -> Sequence[CpuUseView]: ...

    @property
    def total_percent(self) -> float: ...

    def as_dict(self) -> dict[str, object]: ...


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


class AlertHistoryLike(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class Provider(Protocol):
    """One place the stack runs: its lifecycle, what it looks like, and its faults."""

    name: str
    settings: Settings

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


class NoFaults:
    """Faults for a provider that has none of its own: each says so in one line.

    A provider subclasses it and overrides what it has, listing those in `supported`.
    """

    provider = "this"
    supported: frozenset[Fault] = frozenset()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def lacks(self, what: Fault | str) -> ProviderLacks:
        thing = f"{what} fault" if isinstance(what, Fault) else what
        return ProviderLacks(self.provider, thing, "run this drill with --provider local")

    def components(self) -> list[str]:
        raise self.lacks("component list")

    def down(self) -> list[str]:
        raise self.lacks("component status")

    def resolve(self, name: str) -> str:
        return name

    def kill(self, name: str) -> str:
        raise self.lacks(Fault.KILL)

    def pause(self, name: str) -> str:
        raise self.lacks(Fault.PAUSE)

    def resume(self, name: str) -> str:
        raise self.lacks(Fault.PAUSE)

    def stop(self, name: str) -> str:
        raise self.lacks(Fault.STOP)

    def partition(self, name: str) -> str:
        raise self.lacks(Fault.PARTITION)

    def slow(self, name: str, delay_ms: int) -> str:
        raise self.lacks(Fault.SLOW)

    def restart(self, on_status: StatusCallback) -> str:
        raise self.lacks(Fault.RESTART)

    def await_redis_failover(self, timeout_s: float) -> str:
        raise self.lacks(Fault.FAILOVER)

    def promote_postgres(self, on_status: StatusCallback, rejoin: bool) -> str:
        raise self.lacks(Fault.FAILOVER)

    def edge_counters(self) -> EdgeCounters | None:
        raise self.lacks(Fault.EDGE)


def missing_faults(needed: frozenset[Fault], faults: Faults) -> list[Fault]:
    """The faults a drill needs that the provider lacks, in a fixed order."""
    return [fault for fault in Fault if fault in needed and fault not in faults.supported]


class Unobserved:
    """The view of a provider that reports nothing per component: each asks says so."""

    name = "this"
    look_instead = ""
    """Where to look instead, e.g. `docker compose ps`."""

    def _lacks(self, what: str) -> ProviderLacks:
        return ProviderLacks(self.name, what, self.look_instead)

    def status(self) -> list[ComponentStatus]:
        raise self._lacks("component status")

    def not_running(self) -> list[str]:
        raise self._lacks("component status")

    def logs(self, component: str) -> ComponentLog:
        raise self._lacks("component logs")

    def figures(self) -> FiguresView:
        raise self._lacks("stack figures")

    def alerts(self) -> list[AlertView] | None:
        return None

    def cpu(self, seconds: float) -> CpuView:
        raise self._lacks("CPU measurement")

    def edge_counters(self) -> EdgeCounters | None:
        return None
