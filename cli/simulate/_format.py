"""Numbers, byte sizes and durations as the simulate tables print them; a stage progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from chirp.cli.console import err


@contextmanager
def stages(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr advanced once per named stage."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("starting", total=total)

        def advance(stage: str) -> None:
            progress.update(task, description=stage, advance=1)

        yield advance


def two_columns(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def n(x: float | int) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.2f}".rstrip("0").rstrip(".")


def pair(a: float, b: float, template: str = "{:,.0f}") -> str:
    return f"{template.format(a)} / {template.format(b)}"


def exact(x: float) -> str:
    """Whole numbers as such, others to two decimals: the review's figures are compared exactly."""
    whole = abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))
    return f"{x:,.0f}" if whole else f"{x:,.2f}"


def size(b: float) -> str:
    for unit, scale in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if b >= scale:
            return f"{b / scale:,.2f} {unit}"
    return f"{b:,.0f} B"


def seconds(t: float | None) -> str:
    return "never" if t is None else f"{t:,.1f}s"
