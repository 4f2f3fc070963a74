"""What a provider shows of the running stack: each component's status, where the stack
answers, its logs, and the headline figures, alerts and CPU `chirp status` prints."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


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


class AlertHistoryLike(Protocol):
    def as_dict(self) -> dict[str, Any]: ...
