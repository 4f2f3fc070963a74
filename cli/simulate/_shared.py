"""What the simulate commands share: the --json and --plot options and one-line failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperCommand
from typer.exceptions import TyperException

from chirp.cli.console import fail
from chirp.cli.options import from_setting
from chirp.core.errors import ChirpError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
PlotOption = Annotated[
    Path | None,
    from_setting(
        "plot_dir",
        "--plot",
        file_okay=False,
        help="Write a PNG and a self-contained HTML page into this directory.",
    ),
]


@contextmanager
def one_line_errors() -> Iterator[None]:
    """A ChirpError inside becomes one line on stderr and exit 1."""
    try:
        yield
    except ChirpError as error:
        fail(escape(str(error)))


class OneLineUsageErrors(TyperCommand):
    """An option that cannot be parsed is one line and exit 1 too, not a usage panel."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except TyperException as error:  # bad values, unknown or missing options
            formatter = getattr(error, "format_message", None)
            message = formatter() if callable(formatter) else str(error)
            fail(escape(" ".join(message.split())))
        except ChirpError as error:  # a setting an option's default reads is invalid
            fail(escape(str(error)))
