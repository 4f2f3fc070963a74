from chirp.infra.provision.local.figures import _p99_ms, _total


def _bucket(le: str, value: float, route: str = "/api/v1/feed"):
    return ("chirp_http_request_seconds_bucket", {"route": route, "le": le}, value)


def test_p99_is_the_first_bucket_holding_99_percent_across_gateways():
    samples = [
        _bucket("0.01", 50),
        _bucket("0.05", 98),
        _bucket("0.1", 100),
        _bucket("+Inf", 100),
        _bucket("0.01", 50),
        _bucket("0.05", 99),
        _bucket("0.1", 100),
        _bucket("+Inf", 100),
    ]
    assert _p99_ms(samples, "/api/v1/feed") == 100.0


def test_p99_ignores_other_routes_and_no_traffic():
    assert _p99_ms([_bucket("0.01", 5, route="/api/v1/tweets")], "/api/v1/feed") is None
    assert _p99_ms([_bucket("+Inf", 0)], "/api/v1/feed") is None


def test_total_sums_one_metric():
    samples = [("a", {}, 1.0), ("a", {"x": "1"}, 2.0), ("b", {}, 5.0)]
    assert _total(samples, "a") == 3.0


def test_route_template_puts_parameter_names_back():
    from chirp.stack.gateway.middleware import route_template

    scope = {"route": object(), "path": "/api/v1/users/42/tweets", "path_params": {"user_id": 42}}
    assert route_template(scope) == "/api/v1/users/{user_id}/tweets"
    assert route_template({"path": "/nope"}) == "unmatched"
