"""A gateway's own /metrics: scrapes read figures, they never take a PostgreSQL connection."""

from __future__ import annotations

import pytest

from chirp.core.observe import scrape
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration


def _figure(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    found = [v for n, got, v in samples if n == name and labels.items() <= got.items()]
    assert found, f"{name}{labels} is not exported"
    return sum(found)


def test_scrapes_take_no_primary_connection(stack: StackEnv):
    url = f"http://127.0.0.1:{stack.port('gateway_base_port')}/metrics"
    first = scrape(url, timeout_s=5)
    for _ in range(30):
        assert scrape(url, timeout_s=5)
    last = scrape(url, timeout_s=5)
    checkouts = _figure(last, "chirp_pg_pool_checkouts_total", pool="primary") - _figure(
        first, "chirp_pg_pool_checkouts_total", pool="primary"
    )
    refreshes = _figure(last, "chirp_pg_lag_refreshes_total") - _figure(
        first, "chirp_pg_lag_refreshes_total"
    )
    # Only the periodic lag refresh uses the primary, never a scrape: 32 scrapes, no more
    # checkouts than refreshes (this gateway serves no API request meanwhile).
    assert checkouts <= refreshes < 32
    assert _figure(last, "chirp_pg_pool_connections", pool="primary", state="size") >= 1
