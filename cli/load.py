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

from chirp.cli.alerts import print_alerts
from chirp.cli.console import err, fail, out
from chirp.cli.options import from_setting
from chirp.core.errors import ChirpError, ScenarioError
from chirp.core.settings import get_settings
from chirp.scenarios import available, load_scenario

_PROGRESS_EVERY_S = 10.0
_LOG_WIDTH = 132

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts (stdout).")]
_SHAPE = "Load shape"
_GATES = "Gates"
_OUTPUT = "Report"
_GENERATOR = "Generator"


def load(
    *,
    scenario: Annotated[
        str,
        typer.Argument(
            help=f"A scenario name ({', '.join(available())}) or a path to a .toml file.",
            show_default=False,
        ),
    ],
    users: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Virtual users (closed model) or the worker pool (open model).",
            rich_help_panel=_SHAPE,
        ),
    ] = None,
    spawn_rate: Annotated[
        float | None,
        typer.Option(
            min=0.01, help="Users started per second (closed model).", rich_help_panel=_SHAPE
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            help="Target arrivals per second: switches to the open model, latency measured "
            "from each request's intended start.",
            rich_help_panel=_SHAPE,
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            min=1, help="Seconds; a stage table is stretched to fit.", rich_help_panel=_SHAPE
        ),
    ] = None,
    warmup: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds at the start left out of the verdicts (default: the scenario's "
            "warmup_s, else 10 s, at most half the run).",
            rich_help_panel=_SHAPE,
        ),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(
            help="A stored report (directory or summary.json) to compare this run with.",
            rich_help_panel=_GATES,
        ),
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=10,
            help="With --compare: fail (exit 1) when a judged latency percentile rose, or a "
            "gated endpoint's throughput fell, by more than this fraction (0.10 is 10 %).",
            rich_help_panel=_GATES,
        ),
    ] = None,
    allow_unreliable: Annotated[
        bool,
        typer.Option(
            "--allow-unreliable",
            help="Accept a run whose generator saturated or missed its schedule (otherwise "
            "exit 1).",
            rich_help_panel=_GATES,
        ),
    ] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the report goes (default reports/<scenario>-<timestamp>/).",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            help="Also write JUnit XML here: a test case per objective and per gate of the run.",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON for scripts (stdout).", rich_help_panel=_OUTPUT),
    ] = False,
    workers: Annotated[
        int | None,
        from_setting(
            "load_workers",
            "--workers",
            min=0,
            max=64,
            help="Generator worker processes (Locust master + N workers); 0 (or unset) runs "
            "the users in this process.",
            rich_help_panel=_GENERATOR,
        ),
    ],
    expect_workers: Annotated[
        int,
        from_setting(
            "load_expect_workers",
            "--expect-workers",
            min=0,
            max=256,
            help="Generator workers on other hosts to wait for (`chirp load-worker --master "
            "...`), besides the --workers started here.",
            rich_help_panel=_GENERATOR,
        ),
    ],
    master_bind: Annotated[
        str,
        from_setting(
            "load_master_bind",
            "--master-bind",
            metavar="HOST[:PORT]",
            help="Where the Locust master listens for workers (port 5557 when remote workers "
            "are expected). Its protocol has no authentication: bind a private address.",
            rich_help_panel=_GENERATOR,
        ),
    ],
    web: Annotated[
        bool,
        typer.Option(
            "--web",
            help="Open Locust's own web UI on 127.0.0.1 with this scenario's journeys and mix "
            "instead of a judged run: you start, steer and stop the users there.",
            rich_help_panel=_GENERATOR,
        ),
    ] = False,
    web_port: Annotated[
        int,
        typer.Option(min=1, max=65535, help="The web UI's port.", rich_help_panel=_GENERATOR),
    ] = 8089,
    aim: Annotated[
        str,
        typer.Option(
            "--target",
            help="lb: HAProxy; edge: through the edge cache (Varnish) in front of it.",
            rich_help_panel=_SHAPE,
        ),
    ] = "lb",
) -> None:
    """Run a load scenario against the stack and judge it against its SLOs and thresholds.

    Exit code 0: the run passed; 1: an objective failed, a threshold aborted the run, the
    run was unreliable (unless --allow-unreliable) or regressed past --tolerance; 2: the
    run itself failed (stack unreachable, no seeded population, bad scenario, ...).
    Writes summary.json, Locust's CSVs and report.html into the report directory.
    """
    settings = get_settings()
    if aim not in ("lb", "edge"):
        _fail(f"--target {aim!r}: choose lb or edge")
    chosen = _scenario(scenario, users, spawn_rate, rate, duration, warmup)
    if web:
        raise typer.Exit(_web_ui(scenario, settings, web_port))
    if tolerance is not None and compare is None:
        _fail("--tolerance needs --compare OLD: a stored report to compare with")
    old = None
    if compare is not None:
        from chirp.loadtests.summary import read_summary

        try:
            old = read_summary(compare)
        except ChirpError as error:
            _fail(str(error))
    from chirp.loadtests.outcome import Gates

    gates = Gates(allow_unreliable=allow_unreliable, baseline=old, tolerance=tolerance)
    target = report_dir or Path("reports") / f"{chosen.name}-{datetime.now():%Y%m%d-%H%M%S}"
    remote = _remote_workers(expect_workers, master_bind)
    summary = run_guarded(
        lambda: _run_load(chosen, settings, target, workers or 0, as_json, gates, remote, aim),
        target,
    )
    if "comparison" in summary:
        comparison = json.dumps(summary["comparison"], indent=2) + "\n"
        (target / "comparison.json").write_text(comparison, encoding="utf-8")
    if junit is not None:
        _write_junit(junit, summary)
    if as_json:
        print(json.dumps({**summary, "report_dir": str(target)}, indent=2))
    else:
        _print_results(summary, target)
    raise typer.Exit(summary["exit_code"])


def _web_ui(scenario: str, settings: Any, port: int) -> int:
    """Locust's UI on the shipped locustfile (the same journeys and mix), until Ctrl-C."""
    import os
    import signal
    import subprocess
    import sys

    from chirp import loadtests
    from chirp.loadtests.plan import SCENARIO_VARIABLE
    from chirp.loadtests.population import load_population, population_path

    try:
        load_population(population_path(settings.run_dir))
    except ChirpError as error:
        _fail(str(error))
    locustfile = Path(loadtests.__file__).with_name("locustfile.py")
    host = f"http://{settings.host}:{settings.lb_port}"
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--host", host,
               "--web-host", "127.0.0.1", "--web-port", str(port)]  # fmt: skip
    err.print(f"Locust's UI on {scenario}: http://127.0.0.1:{port} (Ctrl-C stops it)")
    env = {**os.environ, SCENARIO_VARIABLE: scenario}
    ui = subprocess.Popen(command, env=env)
    try:
        return ui.wait()
    except KeyboardInterrupt:
        ui.send_signal(signal.SIGINT)  # a terminal's Ctrl-C reached it already; a kill did not
        try:
            ui.wait(timeout=15)
        except subprocess.TimeoutExpired:
            ui.kill()
            ui.wait()
        return 0


def _remote_workers(expected: int, bind: str) -> Any:
    """Workers on other hosts to wait for, or None; says where they must connect."""
    if not expected:
        return None
    from chirp.loadtests.worker import DEFAULT_MASTER_PORT, MasterAddress, RemoteWorkers

    try:
        address = MasterAddress.parse(bind, default_port=DEFAULT_MASTER_PORT)
    except ChirpError as error:
        _fail(str(error))
    err.print(
        f"waiting for {expected} generator worker(s): run `chirp load-worker --master "
        f"{address.connect_host}:{address.port}` on each (from another host: this host's "
        "address)",
        highlight=False,
        soft_wrap=True,
    )
    return RemoteWorkers(expected, address)


def _scenario(
    name: str,
    users: int | None,
    spawn_rate: float | None,
    rate: float | None,
    duration: float | None,
    warmup: float | None,
) -> Any:
    from pydantic import ValidationError

    from chirp.scenarios.toml_files import describe

    try:
        return load_scenario(name).with_overrides(
            users=users, spawn_rate=spawn_rate, rate=rate, duration_s=duration, warmup_s=warmup
        )
    except ValidationError as error:
        _fail(f"{name} with these options: {'; '.join(describe(error))}")
    except (ScenarioError, ValueError) as error:
        _fail(str(error).splitlines()[0])


def _run_load(
    chosen: Any,
    settings: Any,
    target: Path,
    workers: int,
    quiet: bool,
    gates: Any,
    remote: Any = None,
    aim: str = "lb",
) -> dict[str, Any]:
    from chirp.loadtests.greenlets import patch_process

    patch_process()
    from chirp.loadtests.run import run_load
    from chirp.loadtests.tables import RecentRates, live_table

    rates = RecentRates()
    title = f"chirp load {chosen.name} ({chosen.model} model) → {target}"
    if err.is_terminal and not quiet:
        with Live(console=err, auto_refresh=False, transient=False) as live:

            def redraw(tick: Any) -> None:
                recent = rates.update(time.monotonic(), tick.recorder)
                live.update(live_table(tick, recent, title, chosen.warmup))
                live.refresh()

            return run_load(
                chosen, settings, target, workers=workers, on_tick=redraw, gates=gates,
                remote=remote, target=aim,
            )  # fmt: skip
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

    return run_load(
        chosen, settings, target, workers=workers, on_tick=progress, gates=gates,
        remote=remote, target=aim,
    )  # fmt: skip


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


def _write_junit(path: Path, summary: dict[str, Any]) -> None:
    from chirp.loadtests.junit import write_junit
    from chirp.loadtests.outcome import junit_cases

    try:
        write_junit(path, f"chirp load {summary['scenario']['name']}", junit_cases(summary))
    except OSError as error:
        _fail(f"cannot write the JUnit file {path} ({error.strerror}); the report is written")


def _print_results(summary: dict[str, Any], target: Path) -> None:
    from chirp.loadtests.tables import comparison_table, endpoints_table, slo_table, unjudged_line

    if not out.is_terminal:  # CI logs and pipes: no need to squeeze into 80 columns
        out.width = max(out.width, _LOG_WIDTH)
    if summary["warmup"]["endpoints"]:
        out.print(endpoints_table(summary, warmup=True))
    out.print(endpoints_table(summary))
    out.print(slo_table(summary))
    unjudged = unjudged_line(summary)
    if unjudged:
        err.print(f"[yellow]note:[/] {escape(unjudged)}", highlight=False)
    print_alerts(out, summary)
    reliability = summary["reliability"]
    label = "unreliable (allowed)" if summary["outcome"]["allow_unreliable"] else "unreliable"
    for reason in reliability["reasons"]:
        err.print(f"[bold yellow]{label}:[/] {escape(reason)}", highlight=False)
    for warning in reliability["warnings"]:
        err.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if any("HTTP 401" in row["error_kinds"] for row in summary["endpoints"]):
        err.print(
            "[yellow]hint:[/] 401 answers: the population's tokens are not valid on this stack; "
            "run `chirp seed` again",
            highlight=False,
        )
    if "comparison" in summary:
        out.print(comparison_table(summary["comparison"]))
    if summary["exit_code"] == 0:
        err.print(f"[green]passed[/]; report: {target / 'report.html'}")
        return
    for reason in summary["outcome"]["reasons"]:
        err.print(f"[red]failed:[/] {escape(reason)}", highlight=False)
    err.print(f"[red]the run did not pass[/]; report: {target / 'report.html'}")


def register(app: typer.Typer) -> None:
    app.command()(load)
