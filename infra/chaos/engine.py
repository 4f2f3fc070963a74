"""Run one drill against the running stack and write its journal.

    preflight → setup (cast, probe, ledger writer, background load) → baseline
    → method (fault actions at their times; the abort guard watches) → rollbacks (always)
    → after (until recovered) → ledger verification → checks → verdict → journal.json

Rollbacks run in a `finally`: on success, on a failed action, on an abort, on an
exception, and on Ctrl-C or SIGTERM (both become a stop request while the drill runs).
The pieces: `timeline` (clock, phase, marks, events), `stopping` (signals and the abort),
`traffic` (probe, writers, load), `injector` (method and rollbacks), `recovery` (the
after phase), `verifying` (the ledgers), `verdict` and `journal`.
"""

from __future__ import annotations

import contextlib
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chirp.core.errors import ChirpError, DrillCannotRun
from chirp.core.provider import Provider
from chirp.infra.chaos import journal, preflight, verdict
from chirp.infra.chaos.client import Api
from chirp.infra.chaos.injector import Injector
from chirp.infra.chaos.model import Drill
from chirp.infra.chaos.recovery import Recovery
from chirp.infra.chaos.stackops import StackOps
from chirp.infra.chaos.stopping import Stopping
from chirp.infra.chaos.timeline import DrillEvent, EventCallback, Timeline
from chirp.infra.chaos.traffic import Traffic
from chirp.infra.chaos.verifying import Verifier

__all__ = ["DrillEvent", "DrillResult", "EventCallback", "run_drill"]


@dataclass
class DrillResult:
    """PASS, FAIL, ABORTED or ERROR, the exit code it maps to, and the journal written."""

    verdict: str
    exit_code: int
    journal_file: Path
    journal: dict[str, Any] = field(default_factory=dict)


def run_drill(
    provider: Provider,
    drill: Drill,
    journal_dir: Path,
    on_event: EventCallback,
    *,
    with_load: bool = True,
) -> DrillResult:
    """Run `drill` (already validated) on the stack `provider` runs; the journal goes to
    `journal_dir/journal.json` whatever happens. Raises nothing for a failing stack:
    the result says ERROR (exit 2) with the reason."""
    return _Run(provider, drill, journal_dir, on_event, with_load).execute()


class _Run:
    def __init__(
        self,
        provider: Provider,
        drill: Drill,
        journal_dir: Path,
        on_event: EventCallback,
        with_load: bool,
    ) -> None:
        self.provider = provider
        self.settings = provider.settings
        self.drill = drill
        self.journal_dir = journal_dir
        self.with_load = with_load
        self.started_at = datetime.now(UTC)
        self.timeline = Timeline(on_event)
        self.stopping = Stopping(self.timeline)
        self.error: str | None = None
        self.api = Api(
            f"http://{self.settings.host}:{self.settings.lb_port}", drill.probe.timeout_s
        )
        stack = StackOps(self.settings)
        self.traffic = Traffic(drill, self.api, self.timeline)
        self.injector = Injector(
            drill, provider.faults(), stack, self.timeline, self.stopping, self.traffic
        )
        self.recovery = Recovery(drill, self.timeline, self.traffic)
        self.verifier = Verifier(drill, self.api, stack, self.timeline)
        self.components_before: list[dict[str, Any]] = []
        self.down_after: list[str] | None = None

    def execute(self) -> DrillResult:
        with self.stopping.on_signals():
            try:
                self.timeline.enter("preflight")
                self.components_before = preflight.check(
                    self.provider, self.drill, self.api, self.with_load
                )
                try:
                    self._setup()
                    self._baseline()
                    self.injector.method()
                finally:
                    self.injector.rollback()
                if not self.stopping.interrupted:
                    self.recovery.wait(self.stopping)
                self._stop_traffic()
                if not self.stopping.interrupted:
                    self.verifier.run(self.traffic, self.stopping)
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

    def _setup(self) -> None:
        self.timeline.enter("setup")
        self.traffic.start(self.provider, self.journal_dir, self.with_load)

    def _baseline(self) -> None:
        self.timeline.enter("baseline")
        self.injector.baseline()
        load = self.traffic.load
        if load is not None and load.failed():
            raise DrillCannotRun(f"the background load failed: {load.log_tail(1)}")

    def _stop_traffic(self) -> None:
        cut_short = bool(self.stopping.interrupted or self.stopping.aborted or self.error)
        self.traffic.stop(hard=cut_short)

    def _note_stack_after(self) -> None:
        with contextlib.suppress(Exception):  # the journal must be written regardless
            self.down_after = self.injector.faults.down()

    def _finish(self) -> DrillResult:
        samples = self.traffic.samples()
        detected, recovered = self.recovery.detected(), self.recovery.recovered()
        load_result = self.traffic.load.result() if self.traffic.load else None
        interrupted = self.stopping.interrupted
        checks = self._checks(samples, detected, recovered, load_result)
        chosen, code = verdict.overall(
            checks, self.stopping.aborted, self.error, interrupted is not None
        )
        why_interrupted = f"interrupted by {interrupted}; rollbacks ran" if interrupted else None
        finished_at = datetime.now(UTC)
        verifier, cast = self.verifier, self.traffic.cast
        record = journal.RunRecord(
            drill=self.drill,
            started_at=self.started_at,
            elapsed_s=self.timeline.clock(),
            verdict=chosen,
            reasons=[r for r in (self.error, self.stopping.aborted, why_interrupted) if r],
            environment=self._environment(),
            timeline=self.timeline.entries,
            marks=self.timeline.marks,
            detected=detected,
            recovered=recovered,
            samples=samples,
            checks=checks,
            actions=self.injector.actions,
            verification=verifier.verification,
            follow_verification=verifier.follow_verification,
            feed_repair=verifier.feed_repair,
            run_word=cast.run_word if cast else None,
            load=load_result,
            down_after=self.down_after,
            finished_at=finished_at,
            alerts=journal.alerts(self.provider, self.started_at, finished_at),
        )
        built = journal.build(record)
        return DrillResult(chosen, code, journal.write(self.journal_dir, built), built)

    def _checks(
        self,
        samples: list[Any],
        detected: float | None,
        recovered: float | None,
        load_result: dict[str, Any] | None,
    ) -> list[verdict.CheckResult]:
        checks: list[verdict.CheckResult] = []
        verifier = self.verifier
        if self.error is None and self.stopping.interrupted is None:
            # A run cut short is not judged on what it did not get to see; only its stack is.
            checks += verdict.hypothesis_results(self.drill, samples)
            checks += verdict.marker_results(self.drill, detected, recovered)
            report = verifier.verification.report if verifier.verification else None
            unreadable = verifier.verification.unreadable if verifier.verification else []
            checks += verdict.ledger_results(report, unreadable)
            if self.traffic.follower is not None:
                follows = verifier.follow_verification
                checks += verdict.follow_results(follows.report if follows else None)
            if verifier.feed_repair is not None:
                checks += verdict.repair_results(verifier.feed_repair)
        if self.injector.actions:  # once rollbacks ran, the stack must be whole again
            checks += verdict.stack_results(self.injector.actions, self.down_after, load_result)
        return checks

    def _environment(self) -> dict[str, Any]:
        with contextlib.suppress(ChirpError):
            endpoints = self.provider.endpoints()
            return journal.environment(
                self.settings, endpoints, self.with_load, self.components_before, self.provider.name
            )
        return {"provider": self.provider.name, "load_balancer": self.api.base_url}
