"""`chirp load`: drive the stack through its load balancer and judge it.

Locust (and with it gevent's monkey-patching) is imported inside the commands only, so
no other command runs patched.
"""

from __future__ import annotations

import json
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.live import Live
from rich.markup import escape

from cli.alerts import print_alerts
from cli.console import err, fail, out
from scenarios import ScenarioError, available, load_scenario
from stack.errors import ChirpError
from stack.settings import get_settings

_PROGRESS_EVERY_S = 10.0
_LOG_WIDTH = 132

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts (stdout).")]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=0,
        max=64,
        envvar="CHIRP_LOAD_WORKERS",
        help="Generator worker processes (Locust master + N workers); 0 runs the users in "
        "this process.",
    ),
]


def load(
    scenario: Annotated[
        str,
        typer.Argument(
            help=f"A scenario name ({', '.join(available())}) or a path to a .toml file.",
            show_default=False,
        ),
    ],
    users: Annotated[
        int | None,
        typer.Option(min=1, help="Virtual users (closed model) or the worker pool (open model)."),
    ] = None,
    spawn_rate: Annotated[
        float | None, typer.Option(min=0.01, help="Users started per second (closed model).")
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            help="Target arrivals per second: switches to the open model, latency measured "
            "from each request's intended start.",
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(min=1, help="Seconds; a stage table is stretched to fit.")
    ] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(help="Where the report goes (default reports/<scenario>-<timestamp>/)."),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(help="A stored report (directory or summary.json) to compare this run with."),
    ] = None,
    workers: WorkersOption = 0,
    as_json: JsonOption = False,
    aim: Annotated[
        str,
        typer.Option(
            "--target", help="lb: HAProxy; edge: through the edge cache (Varnish) in front of it."
        ),
    ] = "lb",
) -> None:
    """Run a load scenario against the stack and judge it against its SLOs.

    Exit code 0: every SLO met; 1: an SLO breached; 2: the run itself failed (stack
    unreachable, no seeded population, bad scenario, ...). Writes summary.json, Locust's
    CSVs and report.html into the report directory.
    """
    settings = get_settings()
    if aim not in ("lb", "edge"):
        _fail(f"--target {aim!r}: choose lb or edge")
    try:
        chosen = load_scenario(scenario).with_overrides(
            users=users, spawn_rate=spawn_rate, rate=rate, duration_s=duration
        )
    except (ScenarioError, ValueError) as error:
        _fail(str(error).splitlines()[0])
    old = None
    if compare is not None:
        from loadtests.summary import read_summary

        try:
            old = read_summary(compare)
        except ChirpError as error:
            _fail(str(error))
    target = report_dir or Path("reports") / f"{chosen.name}-{datetime.now():%Y%m%d-%H%M%S}"
    summary = run_guarded(
        lambda: _run_load(chosen, settings, target, workers or 0, as_json, aim), target
    )
    if old is not None:
        from loadtests.summary import compare as compare_summaries

        summary["comparison"] = compare_summaries(old, summary)
        comparison = json.dumps(summary["comparison"], indent=2) + "\n"
        (target / "comparison.json").write_text(comparison, encoding="utf-8")
    if as_json:
        print(json.dumps({**summary, "report_dir": str(target)}, indent=2))
    else:
        _print_results(summary, target)
    raise typer.Exit(summary["exit_code"])


def _run_load(
    chosen: Any, settings: Any, target: Path, workers: int, quiet: bool, aim: str = "lb"
) -> dict[str, Any]:
    from loadtests.greenlets import patch_process

    patch_process()
    from loadtests.run import run_load
    from loadtests.tables import RecentRates, live_table

    rates = RecentRates()
    title = f"chirp load {chosen.name} ({chosen.model} model) → {target}"
    if err.is_terminal and not quiet:
        with Live(console=err, auto_refresh=False, transient=False) as live:

            def redraw(tick: Any) -> None:
                live.update(live_table(tick, rates.update(time.monotonic(), tick.recorder), title))
                live.refresh()

            return run_load(chosen, settings, target, workers=workers, on_tick=redraw, target=aim)
    last = [0.0]

    def progress(tick: Any) -> None:
        if tick.elapsed_s - last[0] >= _PROGRESS_EVERY_S:
            last[0] = tick.elapsed_s
            totals = tick.recorder.totals()
            err.print(
                f"chirp load {chosen.name}: {tick.elapsed_s:.0f}/{tick.duration_s:.0f} s, "
                f"{totals.requests} requests, {totals.errors} errors, {totals.rate_limited} 429",
                highlight=False,
            )

    return run_load(chosen, settings, target, workers=workers, on_tick=progress, target=aim)


def run_guarded(work: Any, target: Path) -> Any:
    """Run `work`; any failure becomes one line (exit 2), the traceback goes to a file."""
    try:
        return work()
    except ChirpError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted; the report was not written")
    except Exception as error:
        target.mkdir(parents=True, exist_ok=True)
        log = target / "error.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        _fail(f"the run failed: {type(error).__name__}: {error} (traceback in {log})")


def _fail(message: str) -> NoReturn:
    """One line, exit 2: the run itself failed (as opposed to an SLO, exit 1)."""
    fail(escape(message), 2)


def _print_results(summary: dict[str, Any], target: Path) -> None:
    from loadtests.tables import comparison_table, endpoints_table, slo_table

    if not out.is_terminal:  # CI logs and pipes: no need to squeeze into 80 columns
        out.width = max(out.width, _LOG_WIDTH)
    out.print(endpoints_table(summary))
    out.print(slo_table(summary))
    print_alerts(out, summary)
    reliability = summary["reliability"]
    for reason in reliability["reasons"]:
        err.print(f"[bold yellow]unreliable:[/] {reason}", highlight=False)
    for warning in reliability["warnings"]:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if any("HTTP 401" in row["error_kinds"] for row in summary["endpoints"]):
        err.print(
            "[yellow]hint:[/] 401 answers: the population's tokens are not valid on this stack; "
            "run `chirp seed` again",
            highlight=False,
        )
    if "comparison" in summary:
        out.print(comparison_table(summary["comparison"]))
    verdict = (
        "[green]all SLOs met[/]" if summary["exit_code"] == 0 else "[red]an SLO was breached[/]"
    )
    err.print(f"{verdict}; report: {target / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command()(load)
