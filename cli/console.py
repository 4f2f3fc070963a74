"""The two consoles every command writes to, and the one-line failure."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line saying what went wrong and what to do, then exit non-zero."""
    err.print(f"[bold red]chirp:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
