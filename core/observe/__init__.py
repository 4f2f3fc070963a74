"""Reading the stack through Prometheus: /metrics scrapes, series picked by name and label,
counter growth and histogram quantiles as PromQL computes them, queries to a Prometheus
server's HTTP API, and the alerts it holds or held."""

from chirp.core.observe import promql
from chirp.core.observe.alerts import (
    NOT_GATHERED,
    Alert,
    AlertHistory,
    FiredAlert,
    fill_summary,
    fold_firing,
    label_text,
)
from chirp.core.observe.exposition import Sample, buckets, by_label, parse, scrape, select, total
from chirp.core.observe.quantile import (
    bucket_increase,
    counter_growth,
    counter_increase,
    histogram_quantile,
)

__all__ = [
    "NOT_GATHERED",
    "Alert",
    "AlertHistory",
    "FiredAlert",
    "Sample",
    "bucket_increase",
    "buckets",
    "by_label",
    "counter_growth",
    "counter_increase",
    "fill_summary",
    "fold_firing",
    "histogram_quantile",
    "label_text",
    "parse",
    "promql",
    "scrape",
    "select",
    "total",
]
