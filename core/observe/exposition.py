"""Samples of a /metrics endpoint, parsed by prometheus_client's own text parser, and the
few ways chirp picks from them: one series by name and labels, a sum, a sum per label
value, a histogram's cumulative buckets."""

from __future__ import annotations

import urllib.request
from collections import defaultdict
from http.client import HTTPException
from typing import NamedTuple

from prometheus_client.parser import text_string_to_metric_families


class Sample(NamedTuple):
    """One line of an exposition: `name` is the sample's own (`x_bucket`, `x_total`)."""

    name: str
    labels: dict[str, str]
    value: float


def parse(text: str) -> list[Sample]:
    """Every sample of a Prometheus text exposition."""
    return [
        Sample(s.name, dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def scrape(url: str, timeout_s: float = 1.0) -> list[Sample] | None:
    """The samples at a /metrics `url`; None when it does not answer or answers garbage.

    A process dying mid-answer fails in many ways (refused, reset, cut short); all of
    them mean the same here: no reading."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:
            return parse(answer.read().decode("utf-8", errors="replace"))
    except (OSError, HTTPException, ValueError, TypeError, IndexError):
        return None


def select(samples: list[Sample], name: str, **match: str) -> list[Sample]:
    """The samples of `name` whose labels include every `match` pair."""
    return [
        s for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in match.items())
    ]


def total(samples: list[Sample], name: str, **match: str) -> float | None:
    """The sum of `name` over its matching series; None when there is none."""
    chosen = select(samples, name, **match)
    return sum(s.value for s in chosen) if chosen else None


def by_label(samples: list[Sample], name: str, label: str, **match: str) -> dict[str, float]:
    """The sum of `name` per value of `label` (`sum by (label)`); series without it are left out."""
    summed: dict[str, float] = defaultdict(float)
    for s in select(samples, name, **match):
        if label in s.labels:
            summed[s.labels[label]] += s.value
    return dict(summed)


def buckets(samples: list[Sample], histogram: str, **match: str) -> dict[float, float]:
    """The cumulative bucket counts {upper bound: count} of `histogram`, summed over its
    matching series (`sum by (le)`); empty when it has none."""
    return {
        float(le): n for le, n in by_label(samples, f"{histogram}_bucket", "le", **match).items()
    }
