"""What fired during a load run or a drill, asked of chirp's own Prometheus after the
fact, and a link to that time range on its graph page."""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

import yaml

from chirp.core.observe import FiredAlert, fill_summary, fold_firing, promql
from chirp.core.settings import Settings
from chirp.infra.provision.local.prometheus import EVALUATION_S, RULES_FILE, prometheus_url

FIRING = 'ALERTS{alertstate="firing"}'
_MAX_POINTS = 10_000
"""Prometheus refuses a query_range of more than 11,000 points per series."""

RUN_GRAPHS = (
    FIRING,
    "route:chirp_http_request_seconds:p99_1m",
    "chirp:http_errors:ratio_rate1m",
    "group:chirp_consumer_lag:max",
)
"""What a run's link shows: firing alerts, p99 by route, error ratio, consumer lag."""


def fired_alerts(
    settings: Settings, start: float, end: float, timeout_s: float = 10.0
) -> list[FiredAlert]:
    """Every alert that fired at some point in [start, end] (epoch seconds), from
    `query_range` over ALERTS; raises OSError or ValueError when Prometheus cannot tell."""
    step = history_step(start, end)
    result = promql.query_range(
        prometheus_url(settings), firing_query(step), start, end, step, timeout_s
    )
    return fold_firing(result, step, rule_summaries())


def history_step(start: float, end: float) -> int:
    """Seconds between query_range points: the evaluation interval, coarser only when the
    range would pass Prometheus's point limit."""
    return max(EVALUATION_S, math.ceil(max(end - start, 0.0) / _MAX_POINTS))


def firing_query(step: int) -> str:
    """ALERTS while firing. At a step coarser than the evaluation interval, a point says
    whether the alert fired at any evaluation since the previous point, so no short spell
    falls between two points."""
    if step <= EVALUATION_S:
        return FIRING
    return f"max_over_time({FIRING}[{step}s])"


def alert_summary(name: str, labels: dict[str, str]) -> str:
    """The summary chirp's rule for alert `name` gives, with `labels` filled in."""
    return fill_summary(rule_summaries().get(name, ""), labels)


@lru_cache(maxsize=1)
def rule_summaries() -> dict[str, str]:
    """Every alert rule's summary template, by alert name."""
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {
        rule["alert"]: rule.get("annotations", {}).get("summary", "")
        for group in rules["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def graph_url(settings: Settings, start: float, end: float, exprs: Sequence[str]) -> str:
    """A link to the graph page of chirp's Prometheus showing `exprs`, one panel each, over
    [start, end] (epoch seconds), widened to whole seconds since the page takes no finer
    times."""
    first, last = math.floor(start), math.ceil(end)
    end_input = datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%d %H:%M:%S")
    params: list[tuple[str, str]] = []
    for index, expr in enumerate(exprs):
        params += [
            (f"g{index}.expr", expr),
            (f"g{index}.tab", "0"),
            (f"g{index}.stacked", "0"),
            (f"g{index}.range_input", f"{max(last - first, 1)}s"),
            (f"g{index}.end_input", end_input),
            (f"g{index}.moment_input", end_input),
        ]
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return f"{prometheus_url(settings)}/graph?{query}"
