"""`chirp status`'s figures: the dashboard's figures of one scrape, since each process
started."""

import math

import pytest

from chirp.core.observe import parse
from chirp.infra.provision.local.figures import FEED_READ, Figures, figures_of
from chirp.infra.provision.local.live import Scrape, live_figures

INF = math.inf


def _feed(le: str, value: float, status: str = "200") -> str:
    method, route = FEED_READ
    labels = f'le="{le}",method="{method}",route="{route}",status="{status}"'
    return f"chirp_http_request_seconds_bucket{{{labels}}} {value}"


def _requests(value: float, route: str = "/api/v1/feed") -> str:
    return f'chirp_http_requests_total{{method="GET",route="{route}",status="200"}} {value}'


def test_p99_is_interpolated_over_every_gateways_buckets():
    # 200 reads: 100 under 10 ms, 97 more under 50 ms, 3 under 100 ms. Rank 198 lies in
    # (0.05, 0.1] with 3 inside: 50 + 50 * (198 - 197) / 3 ms, not the bucket's 100 ms.
    one = "\n".join([_feed("0.01", 50), _feed("0.05", 98), _feed("0.1", 100), _feed("+Inf", 100)])
    two = "\n".join([_feed("0.01", 50), _feed("0.05", 99), _feed("0.1", 100), _feed("+Inf", 100)])
    scrape = Scrape(
        at=0.0,
        targets={
            "gateway-1": parse(f"{one}\n{_requests(100)}\n"),
            "gateway-2": parse(f"{two}\n{_requests(100)}\n"),
        },
    )
    figures = figures_of(scrape)
    assert figures.feed_read_p99_ms == pytest.approx(50 + 50 / 3)
    assert figures.requests_total == 200


def test_no_feed_reads_no_p99_and_probes_are_not_requests():
    scrape = Scrape(at=0.0, targets={"gateway-1": parse(_requests(7, route="/healthz") + "\n")})
    figures = figures_of(scrape)
    assert figures.feed_read_p99_ms is None and figures.requests_total == 0
    assert figures.feed_cache_hit_rate is None and figures.consumer_lag == {}
    assert Figures.of(live_figures([])).as_dict()["consumer_lag"] == {}


def test_route_template_puts_parameter_names_back():
    from chirp.stack.gateway.middleware import route_template

    scope = {"route": object(), "path": "/api/v1/users/42/tweets", "path_params": {"user_id": 42}}
    assert route_template(scope) == "/api/v1/users/{user_id}/tweets"
    assert route_template({"path": "/nope"}) == "unmatched"
