"""The journal of one run: everything it sampled, did and concluded, as `journal.json`
(with `summary.md` beside it). Every run writes one, whatever happened."""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chirp.core.observe import NOT_GATHERED, AlertHistory
from chirp.core.settings import Settings
from chirp.infra.chaos.actions import FAILOVER_ACTIONS, ActionRecord
from chirp.infra.chaos.follows import FollowVerification
from chirp.infra.chaos.integrity import Verification
from chirp.infra.chaos.metrics import Sample, aggregate
from chirp.infra.chaos.model import Drill
from chirp.infra.chaos.summary import summary_markdown
from chirp.infra.chaos.verdict import PHASES, CheckResult, in_phase, phase_figures
from chirp.infra.provision.local import provider

SCHEMA_VERSION = 1
_SETTINGS_SHOWN = (
    "backpressure_lag",
    "breaker_fail_max",
    "breaker_reset_s",
    "degraded_max_concurrency",
    "feed_max",
    "tweets_per_hour",
    "requests_per_hour",
    "kafka_partitions",
)


@dataclass
class RunRecord:
    """What the engine hands over at the end of a run."""

    drill: Drill
    started_at: datetime
    elapsed_s: float
    verdict: str
    reasons: list[str]
    environment: dict[str, Any]
    timeline: list[dict[str, Any]]
    marks: dict[str, float]
    detected: float | None
    recovered: float | None
    samples: list[Sample]
    checks: list[CheckResult]
    actions: list[ActionRecord]
    verification: Verification | None
    run_word: str | None
    load: dict[str, Any] | None
    down_after: list[str] | None
    follow_verification: FollowVerification | None = None
    feed_repair: dict[str, Any] | None = None
    alerts: AlertHistory | None = None
    finished_at: datetime | None = None


def build(run: RunRecord) -> dict[str, Any]:
    """The journal as a JSON-ready dict."""
    found = [("detected", run.detected), ("recovered", run.recovered)]
    timeline = sorted(
        run.timeline + [{"t": round(t, 2), "event": e} for e, t in found if t is not None],
        key=lambda event: event["t"],
    )
    failed = [
        f"{c.kind}: {c.name}: observed {c.observed}, wanted {c.bound}"
        for c in run.checks
        if not c.passed
    ]
    return {
        "kind": "chirp-chaos-journal",
        "schema_version": SCHEMA_VERSION,
        "drill": run.drill.name,
        "description": run.drill.description,
        "source": str(run.drill.source) if run.drill.source else None,
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "finished_at": (run.finished_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "elapsed_s": round(run.elapsed_s, 1),
        "verdict": run.verdict,
        "reasons": run.reasons + failed,
        "environment": run.environment,
        "plan": run.drill.model_dump(mode="json"),
        "timeline": timeline,
        "measures": measures(run.marks, run.detected, run.recovered, run.samples, run.actions),
        "phases": {p: phase_figures(in_phase(run.samples, p)) for p in PHASES},
        "checks": [c.as_dict() for c in run.checks],
        "actions": [asdict(a) for a in run.actions],
        "rollbacks": [asdict(a) for a in run.actions if a.stage == "rollback"],
        "ledger": _ledger(run.verification, run.run_word),
        "feed_repair": run.feed_repair,
        "follow_ledger": _follow_ledger(run.follow_verification),
        "load": run.load or {"status": "not run (--no-load)"},
        "stack_after": {"down": run.down_after},
        **(run.alerts or NOT_GATHERED).as_dict(),
        "samples": [s.as_dict() for s in run.samples],
    }


def alerts(settings: Settings, started_at: datetime, finished_at: datetime) -> AlertHistory:
    """The alerts that fired during the drill, and the link to its time range."""
    return provider.alert_history(settings, started_at.timestamp(), finished_at.timestamp())


def write(journal_dir: Path, journal: dict[str, Any]) -> Path:
    """journal.json and summary.md into `journal_dir`; the journal's path."""
    journal_dir.mkdir(parents=True, exist_ok=True)
    journal_file = journal_dir / "journal.json"
    journal_file.write_text(json.dumps(journal, indent=2) + "\n", encoding="utf-8")
    (journal_dir / "summary.md").write_text(summary_markdown(journal), encoding="utf-8")
    return journal_file


def environment(
    settings: Settings, load_balancer: str, with_load: bool, components: list[dict[str, Any]]
) -> dict[str, Any]:
    """Where the drill ran: versions, the stack's relevant settings, its components."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_balancer": load_balancer,
        "run_dir": str(settings.run_dir.resolve()),
        "with_load": with_load,
        "gateways": provider.gateway_count(settings),
        "settings": {key: getattr(settings, key) for key in _SETTINGS_SHOWN},
        "components_before": components,
    }


def measures(
    marks: dict[str, float],
    detected: float | None,
    recovered: float | None,
    samples: list[Sample],
    actions: Sequence[ActionRecord] = (),
) -> dict[str, Any]:
    """The figures each drill reports: detection and recovery times, failures, peak lag,
    and when a failover action had a new primary in place."""
    injected, restored = marks.get("injected"), marks.get("restored")

    def since(start: float | None, end: float | None) -> float | None:
        return None if start is None or end is None else round(end - start, 2)

    fault = [s for s in samples if injected is not None and s.t >= injected]
    return {
        "injected_at_s": None if injected is None else round(injected, 2),
        "restored_at_s": None if restored is None else round(restored, 2),
        "time_to_detect_s": since(injected, detected),
        "time_to_recover_s": since(restored, recovered),
        "time_to_recover_from_injection_s": since(injected, recovered),
        "failed_requests_since_injection": aggregate(fault, "errors"),
        "refused_since_injection": aggregate(fault, "refused"),
        "status_429_since_injection": aggregate(fault, "status_429"),
        "peak_lag": aggregate(samples, "max_lag", "max"),
        "new_primary_s": since(injected, _failover_ended(actions)),
    }


def _failover_ended(actions: Sequence[ActionRecord]) -> float | None:
    done = [a.ended_s for a in actions if a.type in FAILOVER_ACTIONS and a.ok]
    return done[0] if done else None


def _ledger(verification: Verification | None, run_word: str | None) -> dict[str, Any] | None:
    if verification is None:
        return None
    return {
        **verification.report.as_dict(),
        "verification_rounds": verification.rounds,
        "verification_s": round(verification.seconds, 1),
        "unreadable": verification.unreadable,
        "run_word": run_word,
    }


def _follow_ledger(verification: FollowVerification | None) -> dict[str, Any] | None:
    if verification is None:
        return None
    return {
        **verification.report.as_dict(),
        "verification_rounds": verification.rounds,
        "verification_s": round(verification.seconds, 1),
        "unreadable": verification.unreadable,
    }
