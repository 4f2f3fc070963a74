"""Reading a link to Prometheus's graph page the way its UI does, for tests of reports."""

from __future__ import annotations

import re
import urllib.parse
from datetime import UTC, datetime


def ui_panels(url: str) -> list[dict[str, str]]:
    """The graph page's panels as Prometheus's UI reads them from the query string
    (`decodePanelOptionsFromQueryString` and `parseOption` in its web/ui/react-app)."""
    query = urllib.parse.urlsplit(url).query
    panels: dict[int, dict[str, str]] = {}
    for param in query.split("&"):
        key, value = param.split("=")
        found = re.fullmatch(r"g(\d+)\.(\w+)", key)
        assert found, f"not a panel option: {param}"
        number, option = found.groups()
        panels.setdefault(int(number), {})[option] = urllib.parse.unquote(value.replace("+", " "))
    return [panels[n] for n in sorted(panels)]


def shown_range(panel: dict[str, str]) -> tuple[datetime, datetime]:
    """(from, to) of one panel: its end_input (UTC) and range_input (whole seconds)."""
    end = datetime.strptime(panel["end_input"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    found = re.fullmatch(r"(\d+)s", panel["range_input"])
    assert found, f"range_input {panel['range_input']!r}"
    return datetime.fromtimestamp(end.timestamp() - int(found.group(1)), UTC), end


def covers(url: str, start: str, end: str) -> bool:
    """Whether every panel of `url` shows all of [start, end] (ISO 8601 times)."""
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return all(
        shown_from <= first and shown_to >= last
        for shown_from, shown_to in map(shown_range, ui_panels(url))
    )
