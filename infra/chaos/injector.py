"""The fault window: the method's actions at their times under the abort guard, then the
rollbacks, which always run."""

from __future__ import annotations

import threading

from chirp.core.provider import Faults
from chirp.infra.chaos import verdict
from chirp.infra.chaos.actions import ACTIONS, ActionContext, ActionRecord
from chirp.infra.chaos.model import ActionSpec, Drill
from chirp.infra.chaos.stackops import StackOps
from chirp.infra.chaos.stopping import Stopping
from chirp.infra.chaos.timeline import Timeline
from chirp.infra.chaos.traffic import Traffic

TICK_S = 0.2


class Injector:
    """Runs the drill's actions through the provider's faults; `actions` is what they did."""

    def __init__(
        self,
        drill: Drill,
        faults: Faults,
        stack: StackOps,
        timeline: Timeline,
        stopping: Stopping,
        traffic: Traffic,
    ) -> None:
        self.drill = drill
        self.faults = faults
        self.stack = stack
        self.timeline = timeline
        self.stopping = stopping
        self.traffic = traffic
        self.actions: list[ActionRecord] = []

    def baseline(self) -> None:
        """Wait out the baseline (no guard: nothing is injected yet)."""
        self.sleep_until(self.timeline.clock() + self.drill.timing.baseline_s, guard=False)

    def method(self) -> None:
        if self.stopping.event.is_set():
            return
        timeline = self.timeline
        timeline.enter("during")
        start = timeline.clock()
        last = len(self.drill.method) - 1
        for index, action in enumerate(self.drill.method):
            if not self.sleep_until(start + action.after_s, guard=index > 0):
                break
            if index == last and last > 0:
                self.traffic.aim_probe()  # the last tweet acknowledged under the fault
            record = self.run_action("method", action, action.after_s, self.stopping.event)
            if index == 0:
                timeline.mark("injected", record.started_s)
            if not record.ok:
                self.stopping.abort(f"method action {record.description!r} failed: {record.detail}")
                break
            if index == last:
                timeline.mark("restored", record.ended_s or record.started_s)
                if last == 0:
                    self.traffic.aim_probe()
        self.sleep_until(start + self.drill.timing.fault_s, guard=True)
        timeline.mark("fault_ended", timeline.clock())

    def rollback(self) -> None:
        self.timeline.enter("rollback")
        never = threading.Event()  # rollbacks finish even when a stop was requested
        for action in self.drill.rollbacks:
            self.run_action("rollback", action, None, never)
        self.timeline.mark("rolled_back", self.timeline.clock())

    def run_action(
        self, stage: str, action: ActionSpec, planned: float | None, stop: threading.Event
    ) -> ActionRecord:
        clock = self.timeline.clock
        record = ActionRecord(stage, action.type, action.describe(), planned, clock())
        self.actions.append(record)
        self.timeline.emit("action", f"{stage}: {record.description} …")
        context = ActionContext(self.faults, self.stack, self._on_status, stop)
        try:
            record.detail = ACTIONS[action.type].run(context, action.params)
            record.ok = True
        except Exception as error:  # a failed action is recorded, never fatal to rollbacks
            record.detail = f"{type(error).__name__}: {error}"
            record.ok = False
        record.ended_s = clock()
        took = record.ended_s - record.started_s
        state = "done" if record.ok else "FAILED"
        self.timeline.emit(
            "action", f"{stage}: {record.description} {state} in {took:.1f}s: {record.detail}"
        )
        return record

    def sleep_until(self, deadline: float, *, guard: bool) -> bool:
        """Wait until `deadline`; False when a stop or the abort guard cut it short."""
        clock, stopping = self.timeline.clock, self.stopping
        while clock() < deadline:
            if stopping.event.is_set() or stopping.aborted:
                return False
            if guard and self._guard_tripped():
                return False
            stopping.event.wait(min(TICK_S, max(0.0, deadline - clock())))
        return not stopping.event.is_set() and not stopping.aborted

    def _guard_tripped(self) -> bool:
        if self.traffic.prober is None or "injected" not in self.timeline.marks:
            return False
        reason = verdict.guard_reason(
            self.traffic.samples(), self.timeline.marks["injected"], self.drill.guard
        )
        if reason is not None:
            self.stopping.abort(reason)
        return self.stopping.aborted is not None

    def _on_status(self, component: str, state: str) -> None:
        if state in ("starting", "ready", "creating"):
            self.timeline.emit("note", f"{component}: {state}")
