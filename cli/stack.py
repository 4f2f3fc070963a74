"""`chirp up`, `down`, `status` and `logs`: the stack's lifecycle."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from chirp.cli import dashboard
from chirp.cli.console import err, fail, out
from chirp.cli.options import from_setting
from chirp.cli.progress import component_progress
from chirp.core.provider import Provider, StatusCallback, UpRequest
from chirp.core.settings import get_settings
from chirp.core.stackview import AlertView, CpuView
from chirp.infra.provision import provider_for
from chirp.infra.provision.local import locks


class ProviderName(StrEnum):
    local = "local"
    compose = "compose"
    aws = "aws"


YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="aws: do not ask before changing the cloud.")
]
ProviderOption = Annotated[
    ProviderName | None,
    from_setting(
        "provider",
        "--provider",
        "-p",
        help="local: processes on this machine (no Docker); compose: docker compose; "
        "aws: Pulumi on AWS. Default: the one the last `up` here used, else local.",
        only_when_set=True,
    ),
]


def chosen_provider(name: ProviderName | None) -> Provider:
    """The provider for this command: `--provider`, else the recorded one, else local."""
    return provider_for(get_settings(), None if name is None else name.value, out)


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

    While another `up` or `down` runs on the same run directory, it says so and waits for it.
    """
    chosen = chosen_provider(provider_name)
    request = UpRequest(gateways, prometheus, pg_replicas, profile, yes)
    started_at = time.monotonic()
    with locks.stack_lock(get_settings().run_dir, err.print), _progress(chosen) as on_status:
        started = chosen.up(request, on_status).started
    if not _shows_components(chosen):
        return
    elapsed = time.monotonic() - started_at
    what = f"started {', '.join(started)}" if started else "everything was already running"
    err.print(f"[green]chirp is up[/] ({what}) in {elapsed:.1f}s")
    _print_status(chosen, as_json=False)


def down(
    *,
    purge: Annotated[
        bool, typer.Option("--purge", help="Also delete every component's data and logs.")
    ] = False,
    provider_name: ProviderOption,
    yes: YesOption = False,
) -> None:
    """Stop every process chirp started, by recorded pid. Data is kept unless --purge.

    While another `up` or `down` runs on the same run directory, it says so and waits for it.
    """
    chosen = chosen_provider(provider_name)
    with locks.stack_lock(get_settings().run_dir, err.print), _progress(chosen) as on_status:
        report = chosen.down(purge, on_status, yes)
    if not _shows_components(chosen):
        return
    err.print(f"stopped {len(report.stopped)} component(s)")
    if purge:
        for path in report.purged:
            err.print(f"deleted {path}")
        count = len(report.purged)
        err.print(f"purged {count} director{'y' if count == 1 else 'ies'}")


def _shows_components(chosen: Provider) -> bool:
    """Whether the provider reports each component; compose and aws print their own steps."""
    return chosen.reports_components


@contextlib.contextmanager
def _progress(chosen: Provider) -> Iterator[StatusCallback]:
    if not _shows_components(chosen):
        yield lambda _name, _state: None
        return
    with component_progress() as rows:
        yield rows.update


def status(
    *,
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
    provider_name: ProviderOption,
) -> None:
    """Every component: state, pid, ports, uptime and resident memory, and firing alerts."""
    chosen = chosen_provider(provider_name)
    if watch:
        if as_json or cpu is not None:
            fail("--watch is a live screen; use --json or --cpu without it")
        dashboard.watch(chosen, out)
        return
    _print_status(chosen, as_json, cpu)


def logs(
    component: Annotated[str, typer.Argument(help="Component name, as `chirp status` shows it.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    *,
    lines: Annotated[int, typer.Option("--lines", "-n", min=0, help="Lines from the end.")] = 50,
    provider_name: ProviderOption,
) -> None:
    """Print a component's log (the last --lines lines; -f to follow)."""
    log = chosen_provider(provider_name).logs(component)
    if not log.path.exists():
        fail(f"{component} has no log yet at {log.path}; start it with `chirp up`")
    out.print(log.tail(lines), end="", markup=False, highlight=False)
    if follow:
        _follow(log.path)


def _follow(path: Path) -> None:
    with path.open(errors="replace") as handle:
        handle.seek(0, 2)
        while True:
            line = handle.readline()
            if line:
                out.print(line, end="", markup=False, highlight=False)
            else:
                time.sleep(0.25)


def _print_status(chosen: Provider, as_json: bool, cpu_s: float | None = None) -> None:
    usage = chosen.cpu(cpu_s) if cpu_s else None
    rows = chosen.status()
    total_rss = sum(r.rss_mb or 0.0 for r in rows)
    figures = chosen.figures()
    alerts = chosen.alerts()
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
        cells: tuple[str, ...] = (
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


def _totals_line(total_rss_mb: float, usage: CpuView | None) -> str:
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


def _alerts_line(firing: list[AlertView] | None) -> str:
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


def register(app: typer.Typer) -> None:
    app.command()(up)
    app.command()(down)
    app.command()(status)
    app.command()(logs)
