"""What a provider answers for what it cannot do: each fault and each view of the stack
it lacks raises `ProviderLacks`, one line naming the provider and what to do instead."""

from __future__ import annotations

from chirp.core.edgestats import EdgeCounters
from chirp.core.errors import ProviderLacks
from chirp.core.provider import Fault, StatusCallback
from chirp.core.settings import Settings
from chirp.core.stackview import AlertView, ComponentLog, ComponentStatus, CpuView, FiguresView


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


class Unobserved:
    """The view of a provider that reports nothing per component: each asks says so."""

    name = "this"
    reports_components = False
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
