"""`chirp seed`: fill the running stack with a synthetic social graph and tweet history."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from chirp.cli.console import err, fail, out
from chirp.cli.options import OldSeedOption, pick_random_seed
from chirp.core.settings import get_settings


def seed(
    users: Annotated[int, typer.Option(min=2, help="Users to create.")] = 1_000,
    avg_follows: Annotated[
        float, typer.Option("--avg-follows", min=1, help="Average follows per user (power law).")
    ] = 20.0,
    celebrities: Annotated[
        int, typer.Option(min=0, help="Most popular users, followed by 60 % of everyone.")
    ] = 3,
    tweets: Annotated[
        int, typer.Option(min=0, help="Tweets of history over the last 7 days.")
    ] = 5_000,
    reset: Annotated[bool, typer.Option("--reset", help="Empty every store first.")] = False,
    random_seed: Annotated[
        int, typer.Option("--random-seed", help="Random seed (same seed, same graph).")
    ] = 42,
    old_seed: OldSeedOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Bulk-load users, a power-law follow graph, tweets, feeds and search documents.

    Feeds are built by the fan-out's own code with the same tiers; the tokens the
    load needs land in <run dir>/seed/population.json. Needs a running stack (`chirp up`).
    """
    from chirp.stack.resources import Resources
    from chirp.stack.seed import GraphSpec
    from chirp.stack.seed import seed as load
    from chirp.stack.seed.load import AlreadySeeded

    spec = GraphSpec(
        users=users,
        avg_follows=avg_follows,
        celebrities=celebrities,
        tweets=tweets,
        seed=pick_random_seed(random_seed, old_seed),
    )
    try:
        spec.validate()
    except ValueError as error:
        fail(str(error))
    settings = get_settings()
    try:
        res = Resources.open(settings)
    except Exception as error:
        fail(f"cannot reach the stack ({error}); start it with `chirp up`")
    try:
        with _progress() as update:
            report = load(res, spec, reset=reset, progress=update)
    except AlreadySeeded as error:
        fail(str(error))
    except Exception as error:
        fail(f"seeding failed: {error}; is the stack up (`chirp status`)? try again with --reset")
    finally:
        res.close()
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
        return
    out.print(
        f"seeded {report.users:,} users, {report.follows:,} follows, {report.tweets:,} tweets "
        f"in {report.total_s:.1f}s ({', '.join(f'{k} {v}s' for k, v in report.seconds.items())})"
    )
    out.print(f"fan-out tiers by author: {report.tiers}; feed writes {report.feed_writes:,}")
    if celebrities and not report.celebrities_pulled:
        err.print(
            f"note: no celebrity passed the pull threshold ({settings.celebrity_threshold:,} "
            "followers); lower CHIRP_CELEBRITY_THRESHOLD to exercise fan-out on read"
        )
    out.print(f"population for `chirp load`: {report.population_file}")


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A bar per seeding phase; the update function is safe from worker threads."""
    columns = (
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    tasks: dict[str, TaskID] = {}
    lock = threading.Lock()
    with Progress(*columns, console=err) as bar:

        def update(phase: str, done: int, total: int) -> None:
            with lock:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update


def register(app: typer.Typer) -> None:
    app.command()(seed)
