"""`chirp failover postgres|redis`: move a primary role to a replica, services kept up."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from chirp.cli.console import err, out
from chirp.core.settings import get_settings
from chirp.infra.provision.local import failover as steps

app = typer.Typer(
    help="Move a primary role to a replica, with the services running (no restart).",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _progress(name: str, what: str) -> None:
    err.print(f"[cyan]{name}[/]: {what}", highlight=False)


@app.command("postgres")
def postgres(
    to: Annotated[
        str | None,
        typer.Option("--to", help="The standby to promote (default: the one furthest ahead)."),
    ] = None,
    no_rejoin: Annotated[
        bool,
        typer.Option("--no-rejoin", help="Leave the old primary stopped instead of a standby."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fence the primary, promote a standby (pg_ctl promote), rejoin the old primary as a
    standby of the new one."""
    result = steps.failover_postgres(get_settings(), _progress, target=to, rejoin=not no_rejoin)
    if as_json:
        print(json.dumps(result.as_dict(), indent=2))
        return
    rejoined = f"; {', '.join(result.rejoined)} rejoined as standby" if result.rejoined else ""
    out.print(
        f"postgres primary: {result.old_primary} → {result.new_primary} "
        f"(promoted in {result.promote_s:.2f}s{rejoined}; total {result.total_s:.1f}s)",
        highlight=False,
    )


@app.command("redis")
def redis(as_json: JsonOption = False) -> None:
    """SENTINEL FAILOVER; waits until the new primary is reported and takes writes."""
    result = steps.failover_redis(get_settings(), _progress)
    if as_json:
        print(json.dumps(result.as_dict(), indent=2))
        return
    out.print(
        f"redis primary: {result.old_primary} → {result.new_primary} "
        f"(writable after {result.seconds:.2f}s)",
        highlight=False,
    )
