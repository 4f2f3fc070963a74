"""`chirp simulate capacity|fanout|lag`: models past one machine (see the README).

Each command parses options, calls into ``infra.sizing`` and renders: rich tables
for people, ``--json`` for scripts, ``--plot DIR`` for a PNG and a self-contained
HTML page. Expected failures are one line on stderr and exit 1.
"""

from __future__ import annotations

import typer

from chirp.cli.simulate._shared import OneLineUsageErrors
from chirp.cli.simulate.capacity import capacity
from chirp.cli.simulate.fanout import fanout
from chirp.cli.simulate.lag import lag

__all__ = ["app"]

app = typer.Typer(
    help="Model chirp past one machine: the capacity plan, fan-out policies, Kafka lag.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command(cls=OneLineUsageErrors)(capacity)
app.command(cls=OneLineUsageErrors)(fanout)
app.command(cls=OneLineUsageErrors)(lag)
