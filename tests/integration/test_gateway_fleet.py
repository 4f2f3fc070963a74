"""A gateway as one of a fleet: its metrics on a port of their own (the AWS tasks' way)."""

from __future__ import annotations

import httpx
import pytest

from chirp.infra.provision.local.ports import free_port
from tests.gateways import gateways

pytestmark = pytest.mark.integration


def test_with_a_metrics_port_the_api_port_serves_no_metrics(stack):
    metrics_port = free_port()
    with gateways(stack, 1, CHIRP_METRICS_PORT=str(metrics_port)) as (gateway,):
        url = gateway.url
        hidden = httpx.get(f"{url}/metrics", timeout=5)
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "not_found"
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
        assert scraped.status_code == 200
        # The API port's requests are counted where Prometheus scrapes them.
        assert 'method="GET",route="/healthz",status="200"' in scraped.text
