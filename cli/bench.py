"""`chirp bench`: the fixed benchmark on a seeded stack, a progress bar per phase.

Locust (and with it gevent's monkey-patching) is imported inside the command only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from chirp.cli.console import err, out
from chirp.cli.load import JsonOption, run_guarded
from chirp.cli.options import from_setting
from chirp.core.settings import get_settings

_VERDICT_STYLE = {"PASS": "green", "FAIL": "red"}


def bench(
    *,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="About 3 minutes instead of about 10: shorter phases, only the 50 % "
            "open-loop run; figures with too few samples are marked, not judged.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        from_setting(
            "load_workers",
            "--workers",
            min=1,
            max=64,
            help="Load generator processes behind a Locust master (default: one per CPU). "
            "Not the stack's fan-out workers, which the JSON counts apart.",
        ),
    ],
    work_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where bench.json, bench.html and logs go (default reports/bench-<time>/)."
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option(
            "--junit",
            help="Also write JUnit XML there: one test case per goal and one for the run's "
            "reliability, for a CI system's test view.",
        ),
    ] = None,
    allow_unreliable: Annotated[
        bool,
        typer.Option(
            "--allow-unreliable",
            help="Exit 0 even when a figure is marked unreliable (the generator saturated, "
            "the stack's own limits answered 429).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """The fixed benchmark on a seeded stack: every figure over a ceiling of the same shape.

    Phases: the ceiling (an authenticated no-op through the same balancer and gateways);
    saturation of feed reads, user timelines, posts and search; open-loop latency at 25,
    50 and 75 % of each saturation (timed from the intended start); exact fan-out and
    index lags at 50 % of the post rate; fan-out capacity drained from a backlog; the
    post's and the fan-out's own store work by bare clients. Run the stack with
    `chirp up --profile bench` so per-user limits do not cap the posts.

    Exit code 0: every goal met (or not judged); 1: a goal missed, or a figure unreliable
    without --allow-unreliable; 2: the run failed (stack down, no seeded population).
    """
    settings = get_settings()
    target = work_dir or Path("reports") / f"bench-{datetime.now():%Y%m%d-%H%M%S}"

    def run() -> dict[str, Any]:
        from chirp.loadtests.greenlets import patch_process

        patch_process()
        from chirp.loadtests.bench import BenchConfig, run_bench
        from chirp.loadtests.bench.goals import exit_code
        from chirp.loadtests.bench.report import write_bench_report

        with _phase_bars(quiet=as_json) as progress:
            figures = run_bench(
                settings, target, BenchConfig.preset(quick), progress, workers=workers
            )
        figures["exit_code"] = exit_code(figures["goals"], figures["reliable"], allow_unreliable)
        write_bench_report(figures, target)
        if junit is not None:
            from chirp.loadtests.bench.goals import junit_cases
            from chirp.loadtests.junit import write_junit

            cases = junit_cases(figures["goals"], figures["unreliable"], allow_unreliable)
            write_junit(junit, "chirp bench", cases)
        return figures

    figures = run_guarded(run, target)
    (target / "bench.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        _print_figures(figures)
        err.print(f"bench.json and bench.html in {target}")
    raise typer.Exit(figures["exit_code"])


class _PhaseBars:
    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    def phase(self, name: str, total: float) -> Callable[[float], None]:
        progress = self._progress
        if progress is None:
            return lambda _: None
        task = progress.add_task(name, total=total)
        return lambda done: progress.update(task, completed=min(done, total))


@contextmanager
def _phase_bars(quiet: bool) -> Iterator[_PhaseBars]:
    if quiet:
        yield _PhaseBars(None)
        return
    columns = (
        TextColumn("[bold]{task.description:<28}"),
        BarColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        yield _PhaseBars(progress)


def _print_figures(figures: dict[str, Any]) -> None:
    table = Table(title=f"chirp bench ({figures['generator']})", title_justify="left")
    for column in ("figure", "value", "goal", "verdict"):
        table.add_column(column, justify="right" if column == "value" else "left")
    goals = {g["figure"]: g for g in figures["goals"]}
    not_judged = figures["not_judged"]
    for key in figures["definitions"]:
        value = figures.get(key)
        goal = goals.get(key)
        verdict = goal["verdict"] if goal else ("not enough samples" if key in not_judged else "")
        if key in figures["unreliable"]:
            verdict = f"{verdict} (unreliable)".strip()
        style = _VERDICT_STYLE.get(goal["verdict"] if goal else "", "")
        table.add_row(
            key,
            "-" if value is None else str(value),
            goal["goal"] if goal else "",
            f"[{style}]{verdict}[/]" if style else verdict,
        )
    out.print(table)
    profile = figures["profile"]
    if profile["name"] != "bench":
        err.print(
            f"[yellow]note:[/] the stack runs the {profile['name']!r} profile "
            f"({profile['tweets_per_hour']} tweets/h per user, backpressure at "
            f"{profile['backpressure_lag']}); `chirp down && chirp up --profile bench` lifts them",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command()(bench)
