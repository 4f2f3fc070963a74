"""`run_load`: one scenario against the stack, from plan to report.

    check the population and the stack → plan → run (live ticks; an `abort_on_fail`
    threshold may stop it) → judge reliability → alerts fired meanwhile (Prometheus)
    → summary (verdicts, comparison, outcome) → summary.json, Locust CSVs, report.html

Exit codes follow the report: 0 the run passed, 1 it did not (an objective failed, a
threshold aborted it, it was unreliable, it regressed); a run that could not take place
raises `ChirpError` (the CLI's exit 2).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chirp.core.errors import RunFailed
from chirp.core.settings import Settings
from chirp.infra.provision.local.provider import alert_history, gateway_count
from chirp.loadtests import slo
from chirp.loadtests.latency import percentiles
from chirp.loadtests.outcome import Gates
from chirp.loadtests.plan import plan_scenario
from chirp.loadtests.population import load_population, population_path
from chirp.loadtests.reliability import judge_phase
from chirp.loadtests.report_html import write_report
from chirp.loadtests.stackmetrics import StackProbe
from chirp.loadtests.summary import RunFacts, build_summary, write_summary
from chirp.loadtests.worker import RemoteWorkers
from chirp.scenarios.model import Scenario


def base_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.lb_port}"


def check_stack(settings: Settings) -> None:
    """Fail in one line unless the load balancer answers."""
    url = f"{base_url(settings)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            if answer.status == 200:
                return
    except (OSError, urllib.error.URLError) as error:
        reason = getattr(error, "reason", error)
        raise RunFailed(
            f"the stack does not answer at {url} ({reason}); start it with `chirp up`"
        ) from error
    raise RunFailed(f"the stack is not healthy at {url}; see `chirp status`")


def run_load(
    scenario: Scenario,
    settings: Settings,
    report_dir: Path,
    *,
    workers: int = 0,
    on_tick: Callable[[Any], None] | None = None,
    remote: RemoteWorkers | None = None,
    gates: Gates | None = None,
    target: str = "lb",
) -> dict[str, Any]:
    """Run `scenario`, write its report into `report_dir`, return the summary; `target`
    "edge" sends the load through the edge (Varnish) instead of HAProxy."""
    population_file = population_path(settings.run_dir)
    population = load_population(population_file)
    check_stack(settings)
    host = settings.edge_base_url if target == "edge" else base_url(settings)
    plan = plan_scenario(scenario, host=host, population_path=population_file)
    report_dir.mkdir(parents=True, exist_ok=True)
    probe = StackProbe(settings, gateway_count(settings))

    from chirp.loadtests.runner import LOCUST_VERSION, Generator

    generator = Generator(
        plan,
        workers=workers,
        work_dir=report_dir,
        population=population,
        csv_prefix=report_dir / "locust",
        remote=remote,
    )
    verdict: dict[str, Any] = {}

    def set_exit_code(environment: Any, **_: Any) -> None:
        # Locust's convention: the quitting listener decides the process's exit code.
        environment.process_exit_code = verdict.get("exit_code", 2)

    generator.env.events.quitting.add_listener(set_exit_code)
    watch = AbortWatch(scenario)
    with generator:
        result = generator.run_phase(
            plan.user_stages, probe=probe, on_tick=on_tick, until=watch.breached
        )
        reliability = judge_phase(result)
        facts = RunFacts(
            scenario=scenario,
            generator_mode=generator.mode,
            processes=generator.processes,
            users=plan.peak_users,
            host=plan.host,
            locust_version=LOCUST_VERSION,
            started_at=result.started_at,
            finished_at=result.finished_at,
            alerts=alert_history(settings, result.started_at, result.finished_at).as_dict(),
            aborted=watch.aborted,
        )
        if result.exceptions:
            reliability.warnings.append(
                f"{result.exceptions} exceptions in the load journeys' own code; "
                f"see {report_dir / 'generator.log'}"
            )
        summary = build_summary(facts, result.recorder, result.stack_samples, reliability, gates)
        verdict["exit_code"] = summary["exit_code"]
    summary["exit_code"] = generator.env.process_exit_code
    write_summary(summary, report_dir)
    write_report(summary, report_dir)
    _fail_if_nothing_answered(summary, report_dir)
    return summary


class AbortWatch:
    """Asked once a second: has an `abort_on_fail` threshold been breached? Only after the
    warm-up, and only on figures with enough samples behind them (`slo.abort_reason`)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.thresholds = [t for t in scenario.thresholds if t.abort_on_fail]
        self.aborted: dict[str, Any] | None = None

    def breached(self, tick: Any) -> bool:
        if not self.thresholds or tick.elapsed_s < self.scenario.warmup:
            return False
        judged = tick.recorder.endpoints
        open_model = self.scenario.model == "open"
        latency = {
            t.endpoint: percentiles(
                judged[t.endpoint].corrected if open_model else judged[t.endpoint].service
            )
            for t in self.thresholds
            if t.endpoint in judged
        }
        counts = {name: stats.counts for name, stats in judged.items()}
        reason = slo.abort_reason(self.thresholds, latency, counts)
        if reason is None:
            return False
        self.aborted = {"at_s": round(tick.elapsed_s, 1), "reason": reason}
        return True


def _fail_if_nothing_answered(summary: dict[str, Any], report_dir: Path) -> None:
    totals = summary["totals"]
    if totals["requests"] == 0:
        raise RunFailed(f"no request was made; see {report_dir}")
    kinds = {k for row in summary["endpoints"] for k in row["error_kinds"]}
    if (
        totals["ok"] == 0
        and totals["rate_limited"] == 0
        and not any(k.startswith("HTTP") for k in kinds)
    ):
        raise RunFailed(
            f"no request got an answer ({', '.join(sorted(kinds)) or 'no answer'}); "
            f"is the stack still up? (`chirp status`); report in {report_dir}"
        )
