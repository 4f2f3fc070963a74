"""`chirp config`: every setting, its environment variable, its value and where it came from."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from chirp.cli.console import fail, out
from chirp.core.errors import ConfigError
from chirp.core.settings import SettingValue, explain_settings

_SOURCE_STYLE = {"default": "dim", "env": "cyan", "chirp.toml": "green"}


def config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List every setting: its CHIRP_* variable, current value and source (default, env or
    chirp.toml). Secrets show as ******** when set."""
    try:
        rows = explain_settings()
    except ConfigError as error:
        fail(escape(str(error)))
    if as_json:
        print(json.dumps([asdict(row) for row in rows], indent=2))
        return
    out.print(_table(rows))


def _table(rows: list[SettingValue]) -> Table:
    table = Table(title="Settings (env var > chirp.toml > default)", title_justify="left")
    for column in ("setting", "env var", "value", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        value = "" if row.value is None else str(row.value)
        style = _SOURCE_STYLE[row.source]
        table.add_row(
            row.name,
            " | ".join(row.env_vars),
            escape(value),
            f"[{style}]{row.source}[/]",
        )
    return table


def register(app: typer.Typer) -> None:
    app.command(name="config")(config)
