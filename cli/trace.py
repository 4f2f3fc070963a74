"""`chirp trace TWEET_ID`: one tweet's journey from the gateway to the last follower's feed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cli.console import out
from infra.local import traces
from stack.settings import get_settings

_BAR_WIDTH = 32
_HOP_STYLES = {
    "gateway": "bold cyan",
    "store": "blue",
    "publish": "magenta",
    "consume": "yellow",
    "feed": "green",
    "index": "green",
}


def trace(
    tweet_id: Annotated[int, typer.Argument(help="The tweet's id, as the API returned it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            "-w",
            min=0,
            help="Seconds to wait for the fan-out and indexing spans of a fresh tweet.",
        ),
    ] = 0,
) -> None:
    """Every hop of a tweet's journey with its start offset and duration, and when the
    last follower's feed had it. Needs the tweet to be traced (CHIRP_TRACE_SAMPLE_RATIO)."""
    journey = traces.wait_for_timeline(get_settings(), tweet_id, wait)
    if as_json:
        print(json.dumps(journey.as_dict(), indent=2))
        return
    out.print(_table(journey))
    out.print(_headline(journey))


def _table(journey: traces.Timeline) -> Table:
    total = max((h.end_ms for h in journey.hops), default=0) or 1
    title = f"tweet {journey.tweet_id} · trace {journey.trace_id}"
    table = Table(title=title, title_justify="left")
    table.add_column("hop")
    table.add_column("span")
    table.add_column("service")
    table.add_column("start", justify="right")
    table.add_column("took", justify="right")
    table.add_column("timeline", no_wrap=True)
    for hop in journey.hops:
        style = _HOP_STYLES.get(hop.hop, "white")
        name = Text("  " * hop.depth + ("└ " if hop.depth else "") + hop.name)
        if hop.status == "ERROR":
            name.append(" ✗", style="bold red")
        table.add_row(
            Text(hop.hop, style=style),
            name,
            hop.service,
            f"+{hop.start_ms:.1f} ms",
            f"{hop.duration_ms:.1f} ms",
            _bar(hop.start_ms, hop.end_ms, total, style),
        )
    return table


def _bar(start_ms: float, end_ms: float, total_ms: float, style: str) -> Text:
    left = int(start_ms / total_ms * _BAR_WIDTH)
    width = max(1, round((end_ms - start_ms) / total_ms * _BAR_WIDTH))
    left = min(left, _BAR_WIDTH - 1)
    width = min(width, _BAR_WIDTH - left)
    rest = _BAR_WIDTH - left - width
    return Text(" " * left) + Text("█" * width, style=style) + Text(" " * rest)


def _headline(journey: traces.Timeline) -> str:
    if journey.feeds_done_ms is None:
        return (
            "[yellow]no fan-out write yet[/]: the tweet is not in any feed so far (try --wait 30)"
        )
    reached = journey.followers_reached
    who = f"{reached} follower{'' if reached == 1 else 's'}" if reached else "only the author"
    index = next((h for h in journey.hops if h.hop == "index"), None)
    searchable = f"; searchable after {index.end_ms:.1f} ms" if index else ""
    return (
        f"the last follower's feed had it after [bold]{journey.feeds_done_ms:.1f} ms[/] "
        f"({who}){searchable}"
    )


def register(app: typer.Typer) -> None:
    app.command()(trace)
