"""The `chirp` console script: assembles one small module per command group."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from chirp.cli import (
    bench,
    chaos,
    config,
    doctor,
    failover,
    load,
    load_worker,
    seed,
    simulate,
    stack,
    trace,
)
from chirp.cli.console import err
from chirp.core.errors import ChirpError

app = typer.Typer(
    name="chirp",
    help="Run, load, break and size a real Twitter-like stack on one machine.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
stack.register(app)
doctor.register(app)
config.register(app)
seed.register(app)
load.register(app)
load_worker.register(app)
bench.register(app)
chaos.register(app)
trace.register(app)
app.add_typer(simulate.app, name="simulate")
app.add_typer(failover.app, name="failover")


def run() -> None:
    """Entry point: expected failures become one line on stderr and a non-zero exit."""
    try:
        app()
    except ChirpError as error:
        # Messages may hold brackets (`pip install 'chirp[aws]'`) that are not markup.
        err.print(f"[bold red]chirp:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        log_tail = getattr(error, "log_tail", "")
        if log_tail:
            err.print(log_tail.rstrip(), highlight=False, markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("chirp: interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
