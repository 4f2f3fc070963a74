"""Run one drill against the running stack and write its journal.

    preflight → setup (cast, probe, ledger writer, background load) → baseline
    → method (fault actions at their times; the abort guard watches) → rollbacks (always)
    → after (until recovered) → ledger verification → checks → verdict → journal.json

Rollbacks run in a `finally`: on success, on a failed action, on an abort, on an
exception, and on Ctrl-C or SIGTERM (both become a stop request while the drill runs).
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from chirp.core.errors import CastFailed, ChirpError, DrillCannotRun
from chirp.core.settings import Settings
from chirp.infra.chaos import journal, preflight, verdict
from chirp.infra.chaos.actions import ACTIONS, ActionContext, ActionRecord
from chirp.infra.chaos.client import Api, Reply
from chirp.infra.chaos.faults import LocalFaults
from chirp.infra.chaos.follows import (
    FollowCast,
    FollowVerification,
    FollowWriter,
    create_follow_cast,
    verify_follows,
)
from chirp.infra.chaos.integrity import (
    Cast,
    LedgerWriter,
    Verification,
    authors_needed,
    create_cast,
    verify,
    warm_feeds,
)
from chirp.infra.chaos.ledger import FollowWrite, LedgerReport, Write
from chirp.infra.chaos.loadproc import BackgroundLoad
from chirp.infra.chaos.metrics import Sample
from chirp.infra.chaos.model import ActionSpec, Drill
from chirp.infra.chaos.probes import Prober, Target

_TICK_S = 0.2
_LOAD_GRACE_S = 30.0
_SETTLE_S = 30.0
"""With `repair_feeds`: how long feeds may take to show everything before a repair."""
_MAX_FOLLOWS = 400


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


@dataclass
class DrillResult:
    """PASS, FAIL, ABORTED or ERROR, the exit code it maps to, and the journal written."""

    verdict: str
    exit_code: int
    journal_file: Path
    journal: dict[str, Any] = field(default_factory=dict)


def run_drill(
    settings: Settings,
    drill: Drill,
    journal_dir: Path,
    on_event: EventCallback,
    *,
    with_load: bool = True,
) -> DrillResult:
    """Run `drill` (already validated) on the running stack; the journal goes to
    `journal_dir/journal.json` whatever happens. Raises nothing for a failing stack:
    the result says ERROR (exit 2) with the reason."""
    return _Run(settings, drill, journal_dir, on_event, with_load).execute()


class _Run:
    def __init__(
        self,
        settings: Settings,
        drill: Drill,
        journal_dir: Path,
        on_event: EventCallback,
        with_load: bool,
    ) -> None:
        self.settings = settings
        self.drill = drill
        self.journal_dir = journal_dir
        self.on_event = on_event
        self.with_load = with_load
        self.t0 = time.monotonic()
        self.started_at = datetime.now(UTC)
        self.phase = "preflight"
        self.stop = threading.Event()
        self.interrupted: str | None = None
        self.aborted: str | None = None
        self.error: str | None = None
        self.faults = LocalFaults(settings)
        self.api = Api(f"http://{settings.host}:{settings.lb_port}", drill.probe.timeout_s)
        self.actions: list[ActionRecord] = []
        self.timeline: list[dict[str, Any]] = []
        self.marks: dict[str, float] = {}
        self.cast: Cast | None = None
        self.prober: Prober | None = None
        self.writer: LedgerWriter | None = None
        self.load: BackgroundLoad | None = None
        self.verification: Verification | None = None
        self.follow_cast: FollowCast | None = None
        self.follower: FollowWriter | None = None
        self.follow_verification: FollowVerification | None = None
        self.feed_repair: dict[str, Any] | None = None
        self.components_before: list[dict[str, Any]] = []
        self.down_after: list[str] | None = None

    def clock(self) -> float:
        return time.monotonic() - self.t0

    # --- the run ---------------------------------------------------------------------

    def execute(self) -> DrillResult:
        with self._stop_on_signals():
            try:
                self._preflight()
                try:
                    self._setup()
                    self._baseline()
                    self._method()
                finally:
                    self._rollback()
                if not self.interrupted:
                    self._after()
                self._stop_traffic()
                if not self.interrupted:
                    self._verify()
            except ChirpError as error:
                self.error = str(error)
            except Exception as error:  # a bug here must still leave a journal behind
                self.journal_dir.mkdir(parents=True, exist_ok=True)
                log = self.journal_dir / "error.log"
                log.write_text(traceback.format_exc(), encoding="utf-8")
                self.error = f"{type(error).__name__}: {error} (traceback in {log})"
            finally:
                self._stop_traffic()
                self._note_stack_after()
            return self._finish()

    def _preflight(self) -> None:
        self._enter("preflight")
        self.components_before = preflight.check(
            self.settings, self.drill, self.faults, self.api, self.with_load
        )

    def _setup(self) -> None:
        self._enter("setup")
        ledger = self.drill.ledger
        run_word = "cx" + secrets.token_hex(4)
        horizon_s = self.drill.planned_s + self.drill.timing.recovery_timeout_s + 30
        authors = authors_needed(ledger.rate, horizon_s, self.settings.tweets_per_hour)
        self._note(f"creating the ledger's users: {authors} authors x {ledger.followers} followers")
        try:
            self.cast = create_cast(self.api, run_word, authors, ledger.followers)
        except CastFailed as error:
            raise DrillCannotRun(str(error)) from error
        warm_feeds(self.api, self.cast)
        if ledger.follows_rate > 0:
            pairs = min(_MAX_FOLLOWS, int(ledger.follows_rate * horizon_s) + 1)
            self._note(f"creating the follow ledger's users for {pairs} follows")
            try:
                self.follow_cast = create_follow_cast(self.api, run_word, pairs)
            except CastFailed as error:
                raise DrillCannotRun(str(error)) from error
        self.prober = Prober(
            self.settings,
            self.api,
            self.cast,
            list(self.drill.probe.endpoints),
            self.clock,
            self._sample_phase,
            self._on_sample,
        )
        self.writer = LedgerWriter(self.api, self.cast, ledger.rate, self.clock, self._on_write)
        if self.follow_cast is not None:
            self.follower = FollowWriter(
                self.api, self.follow_cast, ledger.follows_rate, self.clock, self._on_follow
            )
        if self.with_load:
            self.load = BackgroundLoad(
                self.settings,
                self.drill.load.scenario,
                self.drill.planned_s,
                self.journal_dir / "load",
            )
            self.load.start()
            self._note(
                f"background load: chirp load {self.drill.load.scenario} (pid {self.load.pid})"
            )
        self.prober.start()
        self.writer.start()
        if self.follower is not None:
            self.follower.start()

    def _baseline(self) -> None:
        self._enter("baseline")
        self._sleep_until(self.clock() + self.drill.timing.baseline_s, guard=False)
        if self.load is not None and self.load.failed():
            raise DrillCannotRun(f"the background load failed: {self.load.log_tail(1)}")

    def _method(self) -> None:
        if self.stop.is_set():
            return
        self._enter("during")
        start = self.clock()
        last = len(self.drill.method) - 1
        for index, action in enumerate(self.drill.method):
            if not self._sleep_until(start + action.after_s, guard=index > 0):
                break
            if index == last and last > 0:
                self._aim_probe()  # the last tweet acknowledged while the fault was in effect
            record = self._run_action("method", action, action.after_s, self.stop)
            if index == 0:
                self._mark("injected", record.started_s)
            if not record.ok:
                self._abort(f"method action {record.description!r} failed: {record.detail}")
                break
            if index == last:
                self._mark("restored", record.ended_s or record.started_s)
                if last == 0:
                    self._aim_probe()
        self._sleep_until(start + self.drill.timing.fault_s, guard=True)
        self._mark("fault_ended", self.clock())

    def _rollback(self) -> None:
        self._enter("rollback")
        never = threading.Event()  # rollbacks finish even when a stop was requested
        for action in self.drill.rollbacks:
            self._run_action("rollback", action, None, never)
        self._mark("rolled_back", self.clock())

    def _after(self) -> None:
        self._enter("after")
        start = self.clock()
        timing = self.drill.timing
        while not self.stop.is_set():
            elapsed = self.clock() - start
            # Without a restore (an abort skipped it) there is no recovery to wait for.
            waiting = bool(self.drill.markers.recover) and "restored" in self.marks
            recovered = not waiting or self._recovered() is not None
            if elapsed >= timing.recovery_s and (recovered or elapsed >= timing.recovery_timeout_s):
                break
            self.stop.wait(_TICK_S)
        self._mark("after_ended", self.clock())

    def _stop_traffic(self) -> None:
        if self.writer is not None:
            self.writer.stop()
        if self.follower is not None:
            self.follower.stop()
        if self.load is not None and self.load.exit_code() is None:
            if self.interrupted or self.aborted or self.error:
                self.load.stop()
            else:
                self.load.finish(wait_s=_LOAD_GRACE_S)
        if self.prober is not None:
            self.prober.stop()

    def _verify(self) -> None:
        if self.cast is None or self.writer is None:
            return
        self._enter("verify")
        writes = self.writer.writes()
        self._note(f"verifying {len(writes)} ledger writes (polls until seen, no timing)")
        ledger = self.drill.ledger
        if ledger.repair_feeds:
            settled = self._verify_posts(self.cast, writes, min(_SETTLE_S, ledger.verify_timeout_s))
            self._repair_feeds(settled.report)
        self.verification = self._verify_posts(self.cast, writes, ledger.verify_timeout_s)
        if self.feed_repair is not None:
            self.feed_repair["missing_after"] = self.verification.report.missing_by_place().get(
                "feed", 0
            )
        if self.follow_cast is not None and self.follower is not None:
            follows = self.follower.writes()
            self._note(f"verifying {len(follows)} follows")
            self.follow_verification = verify_follows(
                self.api, self.follow_cast, follows, ledger.verify_timeout_s, self.stop
            )

    def _verify_posts(self, cast: Cast, writes: list[Write], timeout_s: float) -> Verification:
        def on_round(rounds: int, report: Any) -> None:
            missing = ", ".join(f"{k} {v}" for k, v in report.missing_by_place().items())
            self._emit("ledger", f"round {rounds}: missing {missing or 'nothing'}")

        return verify(
            self.api, cast, writes, self.drill.ledger.checks, timeout_s, self.stop, on_round
        )

    def _repair_feeds(self, report: LedgerReport) -> None:
        """Feeds still missing entries once the stack settled lost them (written to a cache
        node that died before it replicated them): regenerate those feeds from the stores."""
        readers = sorted(
            {f.where.split(":", 1)[1] for f in report.findings if f.where.startswith("feed:")}
        )
        missing = report.missing_by_place().get("feed", 0)
        self.feed_repair = {"missing_before": missing, "feeds_regenerated": len(readers)}
        if readers:
            self._note(f"{missing} feed entries lost; regenerating {len(readers)} feeds")
            self.feed_repair["detail"] = self.faults.regenerate_feeds(readers)

    def _note_stack_after(self) -> None:
        with contextlib.suppress(Exception):  # the journal must be written regardless
            self.down_after = self.faults.down()

    # --- pieces ----------------------------------------------------------------------

    def _run_action(
        self, stage: str, action: ActionSpec, planned: float | None, stop: threading.Event
    ) -> ActionRecord:
        record = ActionRecord(stage, action.type, action.describe(), planned, self.clock())
        self.actions.append(record)
        self._emit("action", f"{stage}: {record.description} …")
        context = ActionContext(self.faults, self._on_status, stop)
        try:
            record.detail = ACTIONS[action.type].run(context, action.params)
            record.ok = True
        except Exception as error:  # a failed action is recorded, never fatal to rollbacks
            record.detail = f"{type(error).__name__}: {error}"
            record.ok = False
        record.ended_s = self.clock()
        took = record.ended_s - record.started_s
        state = "done" if record.ok else "FAILED"
        self._emit(
            "action", f"{stage}: {record.description} {state} in {took:.1f}s: {record.detail}"
        )
        return record

    def _on_status(self, component: str, state: str) -> None:
        if state in ("starting", "ready", "creating"):
            self._emit("note", f"{component}: {state}")

    def _on_write(self, write: Write, reply: Reply) -> None:
        if self.prober is not None:
            self.prober.record_write(write, reply)

    def _on_follow(self, write: FollowWrite, reply: Reply) -> None:
        if self.prober is not None:
            self.prober.record_follow(write, reply)

    def _sample_phase(self) -> str:
        """Rollbacks still belong to the fault window: it ends once they are done."""
        if self.phase == "rollback" and "injected" in self.marks:
            return "during"
        return self.phase

    def _on_sample(self, sample: Sample) -> None:
        self._emit("sample", "", sample)

    def _aim_probe(self) -> None:
        """From the restore on, the probe watches the last tweet acknowledged before it."""
        if self.writer is None or self.prober is None or self.cast is None:
            return
        last = self.writer.last_acknowledged()
        if last is None or last.tweet_id is None:
            return
        reader = self.cast.followers_of[last.author_id][0]
        self.prober.set_target(Target(last.tweet_id, last.word, reader))

    def _sleep_until(self, deadline: float, *, guard: bool) -> bool:
        """Wait until `deadline`; False when a stop or the abort guard cut it short."""
        while self.clock() < deadline:
            if self.stop.is_set() or self.aborted:
                return False
            if guard and self._guard_tripped():
                return False
            self.stop.wait(min(_TICK_S, max(0.0, deadline - self.clock())))
        return not self.stop.is_set() and not self.aborted

    def _guard_tripped(self) -> bool:
        if self.prober is None or "injected" not in self.marks:
            return False
        reason = verdict.guard_reason(
            self.prober.samples(), self.marks["injected"], self.drill.guard
        )
        if reason is not None:
            self._abort(reason)
        return self.aborted is not None

    def _abort(self, reason: str) -> None:
        if self.aborted is None:
            self.aborted = reason
            self._mark("aborted", self.clock())
            self._emit("note", f"{reason}; no more faults are injected")

    def _detected(self) -> float | None:
        samples = self.prober.samples() if self.prober else []
        return verdict.first_holding(samples, self.drill.markers.detect, self.marks.get("injected"))

    def _recovered(self) -> float | None:
        samples = self.prober.samples() if self.prober else []
        since = self.marks.get("restored")
        if since is None:
            return None
        if self.drill.markers.detect:
            detected = self._detected()
            if detected is None:
                return None
            since = max(since, detected)
        return verdict.first_holding(samples, self.drill.markers.recover, since)

    def _enter(self, phase: str) -> None:
        self.phase = phase
        self._mark(phase, self.clock())
        self._emit("phase", phase)

    def _mark(self, name: str, t: float) -> None:
        self.marks.setdefault(name, t)
        self.timeline.append({"t": round(t, 2), "event": name})

    def _note(self, text: str) -> None:
        self._emit("note", text)

    def _emit(self, kind: str, text: str, sample: Sample | None = None) -> None:
        with contextlib.suppress(Exception):  # a broken view must not break the drill
            self.on_event(DrillEvent(kind, self.clock(), self.phase, text, sample))

    @contextlib.contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        """SIGINT and SIGTERM become a stop request: the method stops, rollbacks still run."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, _: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if self.interrupted is None:
                self.interrupted = name
                self._mark("interrupted", self.clock())
                self.stop.set()
                self._emit("interrupt", f"{name}: stopping; rollbacks run before exit")
            else:
                self._emit("interrupt", f"{name} again: still rolling back, please wait")

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    # --- the journal -----------------------------------------------------------------

    def _finish(self) -> DrillResult:
        samples = self.prober.samples() if self.prober else []
        detected, recovered = self._detected(), self._recovered()
        load_result = self.load.result() if self.load else None
        checks: list[verdict.CheckResult] = []
        if self.error is None and self.interrupted is None:
            # A run cut short is not judged on what it did not get to see; only its stack is.
            checks += verdict.hypothesis_results(self.drill, samples)
            checks += verdict.marker_results(self.drill, detected, recovered)
            report = self.verification.report if self.verification else None
            unreadable = self.verification.unreadable if self.verification else []
            checks += verdict.ledger_results(report, unreadable)
            if self.follower is not None:
                follows = self.follow_verification
                checks += verdict.follow_results(follows.report if follows else None)
            if self.feed_repair is not None:
                checks += verdict.repair_results(self.feed_repair)
        if self.actions:  # once rollbacks ran, the stack must be whole again
            checks += verdict.stack_results(self.actions, self.down_after, load_result)
        chosen, code = verdict.overall(
            checks, self.aborted, self.error, self.interrupted is not None
        )
        interrupted = (
            f"interrupted by {self.interrupted}; rollbacks ran" if self.interrupted else None
        )
        finished_at = datetime.now(UTC)
        record = journal.RunRecord(
            drill=self.drill,
            started_at=self.started_at,
            elapsed_s=self.clock(),
            verdict=chosen,
            reasons=[r for r in (self.error, self.aborted, interrupted) if r],
            environment=journal.environment(
                self.settings, self.api.base_url, self.with_load, self.components_before
            ),
            timeline=self.timeline,
            marks=self.marks,
            detected=detected,
            recovered=recovered,
            samples=samples,
            checks=checks,
            actions=self.actions,
            verification=self.verification,
            follow_verification=self.follow_verification,
            feed_repair=self.feed_repair,
            run_word=self.cast.run_word if self.cast else None,
            load=load_result,
            down_after=self.down_after,
            finished_at=finished_at,
            alerts=journal.alerts(self.settings, self.started_at, finished_at),
        )
        built = journal.build(record)
        return DrillResult(chosen, code, journal.write(self.journal_dir, built), built)
