"""`chirp doctor`: what is missing on this machine, and the command that fixes it."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from chirp.cli.console import err, out
from chirp.core.settings import get_settings
from chirp.infra.provision.local import doctor as checks


def doctor(
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Install what is missing (Debian packages as root, jars)."),
    ] = False,
    skip_ports: Annotated[
        bool, typer.Option("--skip-ports", help="Do not check that the stack's ports are free.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Check java, mvn, redis-server, postgres, the server jars, free ports, memory and disk."""
    settings = get_settings()
    if fix:
        checks.fix(settings, lambda step: err.print(f"[cyan]fixing:[/] {step}"))
    results = checks.run_checks(settings, ports=not skip_ports)
    if as_json:
        print(json.dumps({"checks": [asdict(c) for c in results]}, indent=2))
    else:
        table = Table(title="chirp doctor")
        for column in ("check", "ok", "detail", "fix"):
            table.add_column(column)
        for c in results:
            table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]no[/]", c.detail, c.fix)
        out.print(table)
    if not all(c.ok for c in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
