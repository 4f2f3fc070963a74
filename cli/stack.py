"""`chirp up`, `down`, `status` and `logs`: the stack's lifecycle."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from chirp.cli import dashboard
from chirp.cli.console import err, fail, out
from chirp.cli.options import from_setting
from chirp.cli.progress import component_progress
from chirp.core.observe import Alert
from chirp.core.settings import Settings, get_settings
from chirp.infra.provision.local import idle, provider


class Provider(StrEnum):
    local = "local"
    compose = "compose"
    aws = "aws"


YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="aws: do not ask before changing the cloud.")
]
ProviderOption = Annotated[
    Provider,
    from_setting(
        "provider",
        "--provider",
        "-p",
        help="local: processes on this machine (no Docker); compose: docker compose; "
        "aws: Pulumi on AWS.",
    ),
]


def up(
    provider_name: ProviderOption,
    gateways: Annotated[
        int | None,
        from_setting(
            "gateways",
            "--gateways",
            "-g",
            min=1,
            max=16,
            only_when_set=True,
            help="Gateway processes behind HAProxy (default: as the last `up` chose, else 2).",
        ),
    ],
    prometheus: Annotated[
        bool | None,
        from_setting(
            "prometheus",
            "--prometheus/--no-prometheus",
            help="Run Prometheus with chirp's alert rules, and the Redis and PostgreSQL "
            "exporters (default: as the last `up` chose, else on).",
        ),
    ],
    pg_replicas: Annotated[
        int | None,
        from_setting(
            "postgres_replicas",
            "--pg-replicas",
            min=0,
            max=4,
            only_when_set=True,
            help="PostgreSQL streaming read replicas (default: as the last `up` chose, else 1).",
        ),
    ],
    profile: Annotated[
        str | None,
        from_setting(
            "profile",
            "--profile",
            help="Settings profile of the stack's processes: 'default', or 'bench' (per-user "
            "limits and fan-out backpressure lifted, so `chirp bench` measures the stack, not "
            "its guards). Default: as the last `up` chose, else 'default'.",
        ),
    ],
    yes: YesOption = False,
) -> None:
    """Start the stack, wait until every component passes a real-client probe, print endpoints.

    Idempotent: a second `up` reports what runs and starts only what is missing.
    """
    settings = get_settings()
    if provider_name is not Provider.local:
        _remote(provider_name).up(settings, out, yes)
        return
    started_at = time.monotonic()
    with component_progress() as rows:
        started = provider.up(settings, rows.update, gateways, prometheus, pg_replicas, profile)
    elapsed = time.monotonic() - started_at
    what = f"started {', '.join(started)}" if started else "everything was already running"
    err.print(f"[green]chirp is up[/] ({what}) in {elapsed:.1f}s")
    _print_status(as_json=False)


def down(
    *,
    purge: Annotated[
        bool, typer.Option("--purge", help="Also delete every component's data and logs.")
    ] = False,
    provider_name: ProviderOption,
    yes: YesOption = False,
) -> None:
    """Stop every process chirp started, by recorded pid. Data is kept unless --purge."""
    settings = get_settings()
    if provider_name is not Provider.local:
        _remote(provider_name).down(settings, out, yes, purge)
        return
    with component_progress() as rows:
        stopped = provider.down(settings, rows.update)
    err.print(f"stopped {len(stopped)} component(s)")
    if purge:
        targets = provider.purge(settings)
        for path in targets:
            err.print(f"deleted {path}")
        err.print(f"purged {len(targets)} director{'y' if len(targets) == 1 else 'ies'}")


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            "-w",
            help="A live dashboard refreshed every second: rates and p50/p99 per route, "
            "error and cache hit rates, lag per partition, DLQ, alerts. Ctrl-C quits.",
        ),
    ] = False,
    cpu: Annotated[
        float | None,
        typer.Option(
            "--cpu",
            min=1,
            max=600,
            metavar="SECONDS",
            help="Also measure each component's CPU (with its child processes) over this "
            "many seconds, in percent of one core, and the whole stack's.",
        ),
    ] = None,
) -> None:
    """Every component: state, pid, ports, uptime and resident memory, and firing alerts."""
    if watch:
        if as_json or cpu is not None:
            fail("--watch is a live screen; use --json or --cpu without it")
        dashboard.watch(get_settings(), out)
        return
    _print_status(as_json, cpu)


def logs(
    component: Annotated[str, typer.Argument(help="Component name, as `chirp status` shows it.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Lines from the end.")] = 50,
) -> None:
    """Print a component's log (the last --lines lines; -f to follow)."""
    target = provider.find(get_settings(), component)
    if not target.log_file.exists():
        fail(f"{component} has no log yet at {target.log_file}; start it with `chirp up`")
    out.print(target.log_tail(lines), end="", markup=False, highlight=False)
    if follow:
        _follow(target.log_file)


def _follow(path: Path) -> None:
    with path.open(errors="replace") as handle:
        handle.seek(0, 2)
        while True:
            line = handle.readline()
            if line:
                out.print(line, end="", markup=False, highlight=False)
            else:
                time.sleep(0.25)


def _print_status(as_json: bool, cpu_s: float | None = None) -> None:
    settings = get_settings()
    usage = idle.measure(settings, cpu_s) if cpu_s else None
    rows = provider.status(settings)
    total_rss = sum(r.rss_mb or 0.0 for r in rows)
    figures = provider.figures(settings)
    alerts = provider.alerts(settings)
    firing = None if alerts is None else [a for a in alerts if a.state == "firing"]
    if as_json:
        payload = {
            "components": [r.as_dict() for r in rows],
            "total_rss_mb": round(total_rss, 1),
            "cpu": None if usage is None else usage.as_dict(),
            "figures": figures.as_dict(),
            # null, not [], when Prometheus does not run: nobody watches, not "all is well".
            "alerts": None if firing is None else [a.as_dict() for a in firing],
        }
        print(json.dumps(payload, indent=2))
        return
    table = Table(title="chirp status")
    columns = ("component", "state", "role", "pid", "ports", "uptime", "RSS MiB", "endpoint")
    for column in columns:
        table.add_column(column)
    if usage is not None:
        table.add_column("CPU %", justify="right")
    percent = {} if usage is None else {c.name: c.percent for c in usage.components}
    for row in rows:
        cells = (
            row.name,
            "[green]up[/]" if row.state == "up" else "[red]down[/]",
            _role(row.role, row.replication),
            str(row.pid or "-"),
            ",".join(map(str, row.ports)),
            _duration(row.uptime_s),
            "-" if row.rss_mb is None else f"{row.rss_mb:.0f}",
            row.endpoint,
        )
        if usage is not None:
            cells += (f"{percent[row.name]:.1f}" if row.name in percent else "-",)
        table.add_row(*cells)
    out.print(table)
    out.print(_totals_line(total_rss, usage))
    out.print(dashboard.figures_line(figures))
    out.print(_alerts_line(firing))


def _totals_line(total_rss_mb: float, usage: idle.CpuReport | None) -> str:
    line = f"whole stack: {total_rss_mb / 1024:.2f} GiB resident"
    if usage is not None:
        line += f" · CPU {usage.total_percent:.1f} % of one core over {usage.seconds:.0f} s"
    return line


def _role(role: str | None, replication: dict[str, object] | None) -> str:
    """`primary`, or `replica` with its lag: `replica lag 0 B/0.00s`."""
    if role is None:
        return ""
    if role != "replica" or not replication:
        return role
    if replication.get("lag_bytes") is None or replication.get("state") not in (
        "streaming",
        "catchup",
    ):
        return f"replica ({replication.get('state')})"
    lag = f"replica lag {replication['lag_bytes']} B"
    if "lag_s" in replication:
        lag += f"/{float(str(replication['lag_s'])):.2f}s"
    return lag


def _alerts_line(firing: list[Alert] | None) -> str:
    if firing is None:
        return "alerts: Prometheus is not running"
    names = ", ".join(f"{a.name} ({a.severity})" for a in firing)
    return f"alerts firing: {names or 'none'}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class _Remote:
    """The compose and AWS providers behind one shape; imported only when chosen."""

    def __init__(self, choice: Provider) -> None:
        self.choice = choice

    def up(self, settings: Settings, console: Console, yes: bool) -> None:
        if self.choice is Provider.compose:
            from chirp.infra.provision.compose import compose_up

            compose_up(settings, console)
        else:
            from chirp.infra.provision.aws import aws_up

            aws_up(settings, console, yes)

    def down(self, settings: Settings, console: Console, yes: bool, purge: bool) -> None:
        if self.choice is Provider.compose:
            from chirp.infra.provision.compose import compose_down

            compose_down(settings, purge, console)
        else:
            from chirp.infra.provision.aws import aws_down

            aws_down(settings, console, yes)


def _remote(choice: Provider) -> _Remote:
    return _Remote(choice)


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
    app.command()(status)
    app.command()(logs)
