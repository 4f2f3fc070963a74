"""The after phase: when the stack showed the fault (detect) and got over it (recover)."""

from __future__ import annotations

from chirp.infra.chaos import verdict
from chirp.infra.chaos.injector import TICK_S
from chirp.infra.chaos.model import Drill
from chirp.infra.chaos.stopping import Stopping
from chirp.infra.chaos.timeline import Timeline
from chirp.infra.chaos.traffic import Traffic


class Recovery:
    def __init__(self, drill: Drill, timeline: Timeline, traffic: Traffic) -> None:
        self.drill = drill
        self.timeline = timeline
        self.traffic = traffic

    def wait(self, stopping: Stopping) -> None:
        """Watch until the recovery time passed and the stack recovered (or timed out)."""
        timeline = self.timeline
        timeline.enter("after")
        start = timeline.clock()
        timing = self.drill.timing
        while not stopping.event.is_set():
            elapsed = timeline.clock() - start
            # Without a restore (an abort skipped it) there is no recovery to wait for.
            waiting = bool(self.drill.markers.recover) and "restored" in timeline.marks
            recovered = not waiting or self.recovered() is not None
            if elapsed >= timing.recovery_s and (recovered or elapsed >= timing.recovery_timeout_s):
                break
            stopping.event.wait(TICK_S)
        timeline.mark("after_ended", timeline.clock())

    def detected(self) -> float | None:
        marks = self.timeline.marks
        return verdict.first_holding(
            self.traffic.samples(), self.drill.markers.detect, marks.get("injected")
        )

    def recovered(self) -> float | None:
        since = self.timeline.marks.get("restored")
        if since is None:
            return None
        if self.drill.markers.detect:
            detected = self.detected()
            if detected is None:
                return None
            since = max(since, detected)
        return verdict.first_holding(self.traffic.samples(), self.drill.markers.recover, since)
