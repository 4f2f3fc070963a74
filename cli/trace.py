"""`chirp trace TWEET_ID`: one tweet's journey from the gateway to the last follower's feed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from chirp.cli.console import out
from chirp.core.settings import get_settings
from chirp.infra.provision.local import traces

_FIXED_WIDTH = 96
"""Roughly what the table takes without its timeline column."""
_BAR_MAX = 40
_HOP_STYLES = {
    "gateway": "bold cyan",
    "store": "blue",
    "publish": "magenta",
    "consume": "yellow",
    "feed": "bold green",
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
            help="Seconds to wait for a fresh tweet's spans, up to its fan-out and indexing.",
        ),
    ] = 0,
) -> None:
    """Every hop of a tweet's journey with its start offset and duration, and when the
    last follower's feed had it. Needs the tweet to be traced: posted with the header
    `X-Chirp-Trace: 1`, or among the CHIRP_TRACE_SAMPLE_RATIO share (1 %)."""
    journey = traces.wait_for_timeline(get_settings(), tweet_id, wait)
    if as_json:
        print(json.dumps(journey.as_dict(), indent=2))
        return
    out.print(_table(journey, bar_width=min(_BAR_MAX, out.width - _FIXED_WIDTH)))
    out.print(_headline(journey), soft_wrap=True)


def _table(journey: traces.Timeline, bar_width: int) -> Table:
    total = max((h.end_ms for h in journey.hops), default=0) or 1
    table = Table(
        title=f"tweet {journey.tweet_id} · trace {journey.trace_id}", title_justify="left"
    )
    table.add_column("hop", no_wrap=True)
    table.add_column("span")
    table.add_column("service", no_wrap=True)
    table.add_column("start", justify="right", no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    if bar_width >= 10:
        table.add_column("timeline", no_wrap=True)
    for hop in journey.hops:
        style = _HOP_STYLES.get(hop.hop, "white")
        tree = Text("  " * (hop.depth - 1) + "└ " if hop.depth else "", style="dim")
        name = Text(hop.name)
        detail = _detail(hop)
        if detail:
            name.append(f" {detail}", style="dim")
        if hop.status == "ERROR":
            name.append(" failed", style="bold red")
        row: list[Text | str] = [
            tree + Text(hop.hop, style=style),
            name,
            hop.service,
            f"+{hop.start_ms:.1f} ms",
            f"{hop.duration_ms:.1f} ms",
        ]
        if bar_width >= 10:
            row.append(_bar(hop.start_ms, hop.end_ms, total, style, bar_width))
        table.add_row(*row)
    return table


def _detail(hop: traces.Hop) -> str:
    """A hop's figure worth a glance: whose feeds, how many documents or notifications."""
    attributes = hop.attributes
    if attributes.get("chirp.feed") == "author":
        return "(author's feed)"
    if "chirp.followers" in attributes:
        tier = attributes.get("chirp.tier")
        return f"({_count(attributes['chirp.followers'], 'follower')}{f', {tier}' if tier else ''})"
    if "chirp.documents" in attributes:
        return f"({_count(attributes['chirp.documents'], 'doc')} in the bulk)"
    if "chirp.notifications" in attributes:
        return f"({_count(attributes['chirp.notifications'], 'notification')})"
    return ""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _bar(start_ms: float, end_ms: float, total_ms: float, style: str, width: int) -> Text:
    left = min(int(start_ms / total_ms * width), width - 1)
    filled = min(max(1, round((end_ms - start_ms) / total_ms * width)), width - left)
    return Text(" " * left) + Text("█" * filled, style=style) + Text(" " * (width - left - filled))


def _headline(journey: traces.Timeline) -> str:
    if journey.feeds_done_ms is None:
        return "[yellow]no fan-out write yet[/]: the tweet is in no feed so far (try --wait 30)"
    reached = journey.followers_reached
    who = _count(reached, "follower") if reached else "only the author"
    index = next((h for h in journey.hops if h.hop == "index"), None)
    searchable = f"; searchable after {index.end_ms:.1f} ms" if index else ""
    return (
        f"the last follower's feed had it after [bold]{journey.feeds_done_ms:.1f} ms[/] "
        f"({who}){searchable}"
    )


def register(app: typer.Typer) -> None:
    app.command()(trace)
