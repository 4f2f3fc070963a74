"""Per-component progress rows for long, parallel work (up, down)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from chirp.cli.console import err

_DONE_WORDS = ("ready", "already running", "stopped", "was not running")


class ComponentProgress:
    """A row per component; `update(name, text)` is safe to call from worker threads."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._rows: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def update(self, name: str, text: str) -> None:
        with self._lock:
            if name not in self._rows:
                self._rows[name] = self._progress.add_task(name, total=1, state=text)
            row = self._rows[name]
        done = text in _DONE_WORDS
        self._progress.update(row, state=text, completed=1 if done else 0)
        if done:
            self._progress.stop_task(row)


@contextmanager
def component_progress() -> Iterator[ComponentProgress]:
    columns = (
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("[bold]{task.description:<16}"),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        yield ComponentProgress(progress)
