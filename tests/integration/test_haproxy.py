"""HAProxy at the edge: what it refuses, per client IP and per slow client.

The session's own balancer proves the routes it hides; a private HAProxy with tiny limits
(in front of the session's gateways, on its own ports) proves each limit, with clients
that connect from their own loopback source addresses, as distinct callers would.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from chirp.infra.provision.local import process, provider, stackproc
from chirp.infra.provision.local.haproxy import HAProxy
from chirp.infra.provision.local.ports import free_port
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration


def client_from(source: str, base_url: str) -> httpx.Client:
    """A client whose connections leave from `source` (any 127.x address is this machine)."""
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base_url, transport=transport, timeout=10)


@pytest.fixture
def private_lb(stack: StackEnv, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Starts a HAProxy with the given settings in front of the session's gateways."""
    started: list[HAProxy] = []

    def start(**overrides: object) -> str:
        base = stack.settings()
        settings = base.model_copy(
            update={
                "run_dir": tmp_path / f"lb{len(started)}",
                "lb_port": free_port(),
                "lb_stats_port": free_port(),
                **overrides,
            }
        )
        gateways = stackproc.gateways(base, provider.gateway_count(base))
        balancer = HAProxy(settings, backends=[g.port for g in gateways])
        started.append(balancer)
        provider.start_component(balancer, lambda *_: None)
        return f"http://127.0.0.1:{settings.lb_port}"

    yield start
    for balancer in started:
        process.stop(balancer.pid_file, grace_s=5)


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/%6detrics", "//metrics"])
def test_metrics_are_not_served_through_the_balancer(stack, path):
    base = f"http://127.0.0.1:{stack.port('lb_port')}"
    with httpx.Client(base_url=base, timeout=10) as http:
        answer = http.get(path)
    assert answer.status_code in (403, 404)
    assert "chirp_http_requests_total" not in answer.text


def test_a_client_ip_past_its_request_rate_gets_429_and_others_do_not(private_lb):
    base = private_lb(lb_ip_requests=3, lb_ip_period_s=3600)
    with client_from("127.0.0.61", base) as flooder, client_from("127.0.0.62", base) as other:
        assert [flooder.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]
        refused = flooder.get("/healthz")
        assert other.get("/healthz").status_code == 200
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"


def test_a_client_ip_past_its_connections_gets_429(private_lb):
    base = private_lb(lb_ip_connections=2, lb_request_timeout_s=60)
    holders = [client_from("127.0.0.63", base) for _ in range(2)]
    try:
        for holder in holders:  # keep-alive: each keeps its connection open
            assert holder.get("/healthz").status_code == 200
        with client_from("127.0.0.63", base) as third, client_from("127.0.0.64", base) as other:
            assert third.get("/healthz").status_code == 429
            assert other.get("/healthz").status_code == 200
    finally:
        for holder in holders:
            holder.close()


def test_a_client_slow_to_send_its_headers_is_cut_off(private_lb):
    base = private_lb(lb_request_timeout_s=1)
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=15) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: chirp\r\n")  # never the blank line
        answer = slow.recv(4096)  # HAProxy's client timeout would take 30 s
    assert answer == b"" or b" 408 " in answer.split(b"\r\n", 1)[0]
