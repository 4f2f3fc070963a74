"""How much CPU the running stack burns: every recorded process and its children.

`measure` reads each chirp process's user + system time (psutil, from /proc) twice,
`seconds` apart, and reports the difference as a share of one core; `chirp status
--cpu` prints it. A child born during the window counts whole, one that exited is
missed; a server's helpers (PostgreSQL backends, for one) live long enough for that.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psutil

from chirp.core.settings import Settings
from chirp.infra.provision.local import provider

ProcessKey = tuple[int, float]
"""(pid, create time): a pid the kernel reused is another process."""


@dataclass(frozen=True)
class CpuUse:
    """One component's CPU over the window, in percent of one core (100 = a core busy)."""

    name: str
    percent: float


@dataclass(frozen=True)
class CpuReport:
    seconds: float
    components: list[CpuUse]

    @property
    def total_percent(self) -> float:
        return sum(c.percent for c in self.components)

    def as_dict(self) -> dict[str, object]:
        return {
            "seconds": round(self.seconds, 2),
            "total_percent": round(self.total_percent, 2),
            "components": {c.name: round(c.percent, 2) for c in self.components},
        }


def cpu_percent(
    before: Mapping[ProcessKey, float], after: Mapping[ProcessKey, float], seconds: float
) -> float:
    """CPU seconds spent between two readings of a process family, as percent of a core.

    A process only in `after` was born in between and counts whole; one only in
    `before` exited and counts nothing (its last seconds are lost, not invented)."""
    if seconds <= 0:
        return 0.0
    spent = sum(max(0.0, used - before.get(key, 0.0)) for key, used in after.items())
    return 100.0 * spent / seconds


def measure(settings: Settings, seconds: float) -> CpuReport:
    """Every running component's CPU use over the next `seconds`."""
    roots = _roots(settings)
    before = {name: family_times(pid) for name, pid in roots}
    started = time.monotonic()
    time.sleep(seconds)
    after = {name: family_times(pid) for name, pid in roots}
    elapsed = time.monotonic() - started
    return CpuReport(
        seconds=elapsed,
        components=[
            CpuUse(name, cpu_percent(before[name], after[name], elapsed)) for name, _ in roots
        ],
    )


def family_times(pid: int) -> dict[ProcessKey, float]:
    """User + system CPU seconds of `pid` and of each of its descendants."""
    try:
        root = psutil.Process(pid)
        family: Sequence[psutil.Process] = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {}
    times = {}
    for proc in family:
        try:
            with proc.oneshot():
                used = proc.cpu_times()
                times[proc.pid, proc.create_time()] = used.user + used.system
        except psutil.Error:
            continue  # exited while we looked
    return times


def _roots(settings: Settings) -> list[tuple[str, int]]:
    found = []
    for component in provider.components(settings):
        record = provider.running(component)
        if record is not None:
            found.append((component.name, record.pid))
    return found
