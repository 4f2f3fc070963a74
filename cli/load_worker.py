"""`chirp load-worker`: lend this host's CPUs to a `chirp load` master on another host.

The master sends the plan and the seeded population when the worker joins, so this
host needs chirp installed and nothing else: no stack, no seed, no scenario file.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from chirp.cli.console import err, fail
from chirp.cli.options import from_setting
from chirp.core.errors import ChirpError


def load_worker(
    master: Annotated[
        str | None,
        from_setting(
            "load_master",
            "--master",
            metavar="HOST:PORT",
            help="The master's address: where `chirp load --expect-workers N "
            "--master-bind HOST:PORT` listens.",
        ),
    ],
    target: Annotated[
        str | None,
        from_setting(
            "load_target",
            "--target",
            help="Base URL of the stack as this host reaches it (default: the master's "
            "target, e.g. http://127.0.0.1:8080, which only the master's host may reach).",
        ),
    ],
) -> None:
    """Join a load master, run the virtual users it assigns, report to it until it quits."""
    if master is None:
        fail("give --master HOST:PORT (or set CHIRP_LOAD_MASTER): where the master listens", 2)
    from chirp.loadtests.greenlets import patch_process

    patch_process()
    from chirp.loadtests.worker import MasterAddress, run_worker

    try:
        report = run_worker(MasterAddress.parse(master), target=target)
    except ChirpError as error:
        fail(escape(str(error)), 2)
    except KeyboardInterrupt:
        fail("interrupted", 2)
    err.print(
        f"load-worker: {report.requests_sent} requests reported to the master at {master} "
        f"over {report.phases} phase(s)",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command(name="load-worker")(load_worker)
