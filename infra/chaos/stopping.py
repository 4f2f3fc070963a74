"""Why a run stops early: a signal (Ctrl-C, SIGTERM) or the abort guard."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from chirp.infra.chaos.timeline import Timeline


class Stopping:
    """The stop request every waiting step watches, and what caused it."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.event = threading.Event()
        self.interrupted: str | None = None
        """The signal's name, once one arrived."""
        self.aborted: str | None = None
        """Why no more faults are injected, once the guard or a failed action said so."""

    def abort(self, reason: str) -> None:
        if self.aborted is None:
            self.aborted = reason
            self.timeline.mark("aborted", self.timeline.clock())
            self.timeline.note(f"{reason}; no more faults are injected")

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM become a stop request: the method stops, rollbacks still run."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, _: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if self.interrupted is None:
                self.interrupted = name
                self.timeline.mark("interrupted", self.timeline.clock())
                self.event.set()
                self.timeline.emit("interrupt", f"{name}: stopping; rollbacks run before exit")
            else:
                self.timeline.emit("interrupt", f"{name} again: still rolling back, please wait")

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
