"""A run's clock, its phase and marks, and the events the live view shows."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chirp.infra.chaos.metrics import Sample


@dataclass(frozen=True)
class DrillEvent:
    """Something the live view may show; `kind` is phase, sample, action, marker, ledger,
    note or interrupt."""

    kind: str
    t: float
    phase: str
    text: str
    sample: Sample | None = None


EventCallback = Callable[[DrillEvent], None]


class Timeline:
    """Seconds since the run began, the phase it is in, and when each mark first happened."""

    def __init__(self, on_event: EventCallback) -> None:
        self.on_event = on_event
        self.t0 = time.monotonic()
        self.phase = "preflight"
        self.marks: dict[str, float] = {}
        self.entries: list[dict[str, Any]] = []

    def clock(self) -> float:
        return time.monotonic() - self.t0

    def enter(self, phase: str) -> None:
        self.phase = phase
        self.mark(phase, self.clock())
        self.emit("phase", phase)

    def mark(self, name: str, t: float) -> None:
        self.marks.setdefault(name, t)
        self.entries.append({"t": round(t, 2), "event": name})

    def note(self, text: str) -> None:
        self.emit("note", text)

    def emit(self, kind: str, text: str, sample: Sample | None = None) -> None:
        with contextlib.suppress(Exception):  # a broken view must not break the drill
            self.on_event(DrillEvent(kind, self.clock(), self.phase, text, sample))
