"""`chirp chaos`: failure drills under load, with an integrity ledger and verdicts.

`chirp chaos list` names every drill; `chirp chaos NAME` runs one against the running
stack. Exit code 0: every check passed; 1: a hypothesis, ledger or stack check failed (or
the abort guard stopped the drill); 2: the drill could not run (or was interrupted).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from chirp.cli.alerts import print_alerts
from chirp.cli.console import err, fail, out
from chirp.cli.stack import ProviderOption, chosen_provider

_PLAIN_SAMPLE_EVERY_S = 5.0


def chaos(
    name: Annotated[
        str,
        typer.Argument(
            help="A drill name, a path to a drill .toml, or `list` to show every drill.",
            show_default=False,
        ),
    ],
    duration: Annotated[
        float | None,
        typer.Option(
            min=10,
            help="Seconds of baseline + fault + recovery; the drill's timeline is stretched "
            "to fit (the after phase still waits for recovery, up to its timeout).",
        ),
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(help="Where journal.json goes (default reports/chaos-<name>-<timestamp>/)."),
    ] = None,
    no_load: Annotated[
        bool,
        typer.Option(
            "--no-load",
            help="No background `chirp load`: only the probe and the integrity writer.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    junit: Annotated[
        Path | None,
        typer.Option(help="Also write JUnit XML here: a test case per check of the drill."),
    ] = None,
    *,
    provider_name: ProviderOption,
) -> None:
    """Run a failure drill on the running stack: steady state, inject, observe, roll back,
    recover, verify that nothing acknowledged was lost, and judge.

    Rollbacks always run, on Ctrl-C too. Writes journal.json and summary.md.
    """
    from chirp.infra.chaos import DrillError, available, load_drill, run_drill

    if name == "list":
        _list(available(), as_json)
        return
    try:
        drill = load_drill(name).timed(duration)
    except DrillError as error:
        fail(escape(str(error)), 2)
    target = report_dir or Path("reports") / f"chaos-{drill.name}-{datetime.now():%Y%m%d-%H%M%S}"
    provider = chosen_provider(provider_name)
    view = _LiveView(drill.name, drill.planned_s)
    if err.is_terminal and not as_json:
        with Live(console=err, get_renderable=view.render, refresh_per_second=4, transient=True):
            result = run_drill(provider, drill, target, view.update, with_load=not no_load)
    else:
        printer = _PlainPrinter(drill.name)
        result = run_drill(provider, drill, target, printer, with_load=not no_load)
    journal = result.journal
    if junit is not None:
        _write_junit(junit, journal)
    if as_json:
        print(json.dumps(_json_summary(journal, result.journal_file, result.exit_code), indent=2))
    elif result.verdict != "ERROR":
        _print_results(journal)
    if result.verdict == "ERROR":
        reason = journal["reasons"][0] if journal.get("reasons") else "unknown reason"
        fail(f"{drill.name} could not run: {escape(reason)} (journal: {result.journal_file})", 2)
    err.print(f"{_verdict_markup(result.verdict)}; journal: {result.journal_file}")
    raise typer.Exit(result.exit_code)


def _write_junit(path: Path, journal: dict[str, Any]) -> None:
    from chirp.infra.chaos.summary import junit_cases
    from chirp.loadtests.junit import write_junit

    try:
        write_junit(path, f"chirp chaos {journal['drill']}", junit_cases(journal))
    except OSError as error:
        fail(f"cannot write the JUnit file {escape(str(path))} ({error.strerror})", 2)


def _list(drills: dict[str, Path], as_json: bool) -> None:
    from chirp.infra.chaos import DrillError, parse_drill

    rows = []
    for drill_name, path in drills.items():
        try:
            description = parse_drill(path).description
        except DrillError as error:
            description = f"(invalid: {error})"
        rows.append({"name": drill_name, "description": description, "file": str(path)})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="chirp chaos drills", title_justify="left")
    table.add_column("drill", style="bold")
    table.add_column("what it proves")
    for row in rows:
        table.add_row(row["name"], escape(row["description"]))
    out.print(table)


class _LiveView:
    """Phase, last probe sample, ledger counts and actions; updated from the drill's threads."""

    def __init__(self, drill: str, planned_s: float) -> None:
        self.drill = drill
        self.planned_s = planned_s
        self.phase = "preflight"
        self.t = 0.0
        self.sample: dict[str, Any] | None = None
        self.ledger = {"acked": 0, "refused": 0, "unknown": 0}
        self.actions: deque[str] = deque(maxlen=8)
        self.notes: deque[str] = deque(maxlen=3)
        self._lock = threading.Lock()

    def update(self, event: Any) -> None:
        with self._lock:
            self.t = event.t
            self.phase = event.phase
            if event.kind == "sample" and event.sample is not None:
                self.sample = event.sample.as_dict()
                for key in self.ledger:
                    self.ledger[key] += self.sample["ledger"][key]
            elif event.kind == "action":
                self.actions.append(f"{event.t:6.1f}s  {event.text}")
            elif event.kind in ("note", "ledger", "interrupt", "phase"):
                self.notes.append(f"{event.t:6.1f}s  {event.text}")

    def render(self) -> Group:
        with self._lock:
            header = Text.assemble(
                ("chirp chaos ", "bold"),
                (self.drill, "bold cyan"),
                f"  phase: {self.phase}  t={self.t:.0f}s (planned ~{self.planned_s:.0f}s)",
            )
            parts: list[Any] = [header]
            if self.sample:
                parts.append(Text(_sample_line(self.sample)))
            parts.append(
                Text(
                    f"ledger: {self.ledger['acked']} acknowledged, {self.ledger['refused']} "
                    f"refused, {self.ledger['unknown']} unknown"
                )
            )
            actions = Table(show_header=False, box=None, padding=(0, 1))
            for line in self.actions:
                actions.add_row(escape(line))
            parts += [Text("actions:", style="bold"), actions]
            parts += [Text(line, style="dim") for line in self.notes]
            return Group(*parts)


class _PlainPrinter:
    """For logs and CI: a line per phase, action and note, a probe line every few seconds."""

    def __init__(self, drill: str) -> None:
        self.drill = drill
        self.last_sample_t = -_PLAIN_SAMPLE_EVERY_S
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        with self._lock:
            if event.kind == "sample" and event.sample is not None:
                if event.t - self.last_sample_t < _PLAIN_SAMPLE_EVERY_S:
                    return
                self.last_sample_t = event.t
                text = _sample_line(event.sample.as_dict())
            elif event.kind == "phase":
                text = f"phase {event.text}"
            else:
                text = event.text
            err.print(
                f"chaos {self.drill} {event.t:6.1f}s [{event.phase}] {text}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )


def _sample_line(sample: dict[str, Any]) -> str:
    lag = sample.get("consumer_lag") or {}
    lag_text = ", ".join(f"{g} {n}" for g, n in lag.items() if n) or "0"
    hit = sample.get("feed_hit_rate")
    nodes = ", ".join(f"{n}:{c}" for n, c in sample.get("nodes", {}).items()) or "none"
    p99 = sample.get("p99_ms")
    return (
        f"probe: {sample['requests']} req, {sample['errors']} err, {sample['refused']} refused, "
        f"p99 {'-' if p99 is None else f'{p99:.0f} ms'}, gateways {nodes}, "
        f"degraded {sample['degraded']}, hit rate {'-' if hit is None else f'{hit:.0%}'}, "
        f"lag {lag_text}"
    )


def _print_results(journal: dict[str, Any]) -> None:
    from chirp.infra.chaos.summary import ledger_rows, measure_rows, phase_rows

    checks = Table(title=f"chirp chaos {journal['drill']}: checks", title_justify="left")
    for column in ("verdict", "check", "observed", "wanted"):
        checks.add_column(column)
    for check in journal.get("checks", []):
        verdict = "[green]PASS[/]" if check["verdict"] == "PASS" else "[red]FAIL[/]"
        observed = check["observed"]
        checks.add_row(
            verdict,
            escape(check["name"]),
            escape("-" if observed is None else str(observed)),
            escape(check["bound"]),
        )
    out.print(checks)
    phases = Table(title="before / during / after", title_justify="left")
    for column in ("figure", "before", "during", "after"):
        phases.add_column(column, justify="left" if column == "figure" else "right")
    for row in phase_rows(journal):
        phases.add_row(*(escape(c) for c in row))
    out.print(phases)
    figures = Table(title="measures and ledger", title_justify="left", show_header=False)
    figures.add_column("figure")
    figures.add_column("value", justify="right")
    for label, value in [*measure_rows(journal), *ledger_rows(journal)]:
        figures.add_row(escape(label), escape(value))
    out.print(figures)
    print_alerts(out, journal, during="the drill")
    for reason in journal.get("reasons", []):
        err.print(f"[yellow]•[/] {escape(reason)}", highlight=False)


def _json_summary(journal: dict[str, Any], journal_file: Path, exit_code: int) -> dict[str, Any]:
    ledger = journal.get("ledger") or {}
    return {
        "drill": journal["drill"],
        "verdict": journal["verdict"],
        "exit_code": exit_code,
        "journal": str(journal_file),
        "reasons": journal.get("reasons", []),
        "checks": journal.get("checks", []),
        "measures": journal.get("measures", {}),
        "phases": journal.get("phases", {}),
        "ledger": {k: v for k, v in ledger.items() if k != "findings"},
        "load": journal.get("load"),
        "alerts": journal.get("alerts"),
        "prometheus_url": journal.get("prometheus_url"),
        **({"alerts_note": journal["alerts_note"]} if "alerts_note" in journal else {}),
    }


def _verdict_markup(verdict: str) -> str:
    colour = {"PASS": "green", "FAIL": "red", "ABORTED": "yellow"}.get(verdict, "red")
    return f"[bold {colour}]{verdict}[/]"


def register(app: typer.Typer) -> None:
    app.command()(chaos)
