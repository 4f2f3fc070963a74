"""The drill engine's pure pieces: the timeline's marks and events, and the abort."""

from __future__ import annotations

from chirp.infra.chaos.stopping import Stopping
from chirp.infra.chaos.timeline import DrillEvent, Timeline


def test_a_mark_keeps_its_first_time_and_every_entry_is_on_the_timeline():
    timeline = Timeline(lambda _: None)
    timeline.mark("injected", 1.0)
    timeline.mark("injected", 2.5)
    assert timeline.marks == {"injected": 1.0}
    assert timeline.entries == [{"t": 1.0, "event": "injected"}, {"t": 2.5, "event": "injected"}]


def test_entering_a_phase_marks_it_and_tells_the_view():
    events: list[DrillEvent] = []
    timeline = Timeline(events.append)
    timeline.enter("baseline")
    assert timeline.phase == "baseline" and "baseline" in timeline.marks
    assert [(e.kind, e.phase, e.text) for e in events] == [("phase", "baseline", "baseline")]


def test_a_broken_view_does_not_break_the_run():
    def broken(_: DrillEvent) -> None:
        raise RuntimeError("the screen went away")

    Timeline(broken).note("still running")  # raises nothing


def test_the_first_abort_reason_stays_and_is_marked_once():
    events: list[DrillEvent] = []
    stopping = Stopping(Timeline(events.append))
    stopping.abort("error rate 0.5 over the guard's 0.2")
    stopping.abort("p99 over the guard")
    assert stopping.aborted == "error rate 0.5 over the guard's 0.2"
    assert list(stopping.timeline.marks) == ["aborted"]
    assert [e.text for e in events] == [
        "error rate 0.5 over the guard's 0.2; no more faults are injected"
    ]
    assert not stopping.event.is_set()  # an abort stops the faults, not the run
