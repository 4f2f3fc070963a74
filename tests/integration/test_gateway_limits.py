"""The gateway's limits per client IP: unknown tokens and sign-ups, and whom it believes.

A gateway app with tiny limits runs in this process on its own port, on the session's
data servers; clients connect from their own loopback source addresses, as distinct
callers would. The windows are long, so no window ends during a test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from chirp.core.settings import Settings
from chirp.stack.gateway import auth, clientip
from tests.integration.test_haproxy import client_from
from tests.integration.workers_support import make_user, served
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration

_LONG_WINDOW_S = 10**8


@pytest.fixture(scope="module")
def limited(stack: StackEnv) -> Iterator[tuple[str, Settings]]:
    settings = stack.settings().model_copy(
        update={
            "ip_auth_failures": 2,
            "ip_signups": 2,
            "ip_limit_window_s": _LONG_WINDOW_S,
            "trusted_proxies": "127.0.0.79",
        }
    )
    with served(settings, ["users", "notifications"]) as base:
        yield base, settings


def _bogus() -> dict[str, str]:
    return {"Authorization": f"Bearer {uuid.uuid4().hex}"}


def test_unknown_tokens_past_the_budget_get_429_without_a_lookup(limited):
    base, _ = limited
    with client_from("127.0.0.71", base) as caller, client_from("127.0.0.72", base) as other:
        statuses = [caller.get("/api/v1/notifications", headers=_bogus()) for _ in range(2)]
        assert [answer.status_code for answer in statuses] == [401, 401]
        looked_up = auth.LOOKUPS.labels("primary")._value.get()
        refused = caller.get("/api/v1/notifications", headers=_bogus())
        assert auth.LOOKUPS.labels("primary")._value.get() == looked_up
        assert other.get("/api/v1/notifications", headers=_bogus()).status_code == 401
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "rate_limited"


def test_a_valid_token_still_works_from_an_ip_past_its_budget(limited, res):
    base, _ = limited
    known = make_user(res, "lim")
    mine = {"Authorization": f"Bearer {known.token}"}
    with client_from("127.0.0.73", base) as caller:
        assert caller.get("/api/v1/notifications", headers=mine).status_code == 200
        for _ in range(3):
            caller.get("/api/v1/notifications", headers=_bogus())
        # A token the gateways know already answers without any lookup, so without the budget.
        assert caller.get("/api/v1/notifications", headers=mine).status_code == 200


def test_sign_ups_past_the_budget_get_429(limited):
    base, _ = limited

    def sign_up(http: httpx.Client) -> int:
        body = {"username": f"s{uuid.uuid4().hex[:12]}", "display_name": "S"}
        return http.post("/api/v1/users", json=body).status_code

    with client_from("127.0.0.74", base) as caller, client_from("127.0.0.75", base) as other:
        assert [sign_up(caller), sign_up(caller)] == [201, 201]
        assert sign_up(caller) == 429
        assert sign_up(other) == 201


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(limited, res):
    base, _ = limited
    spoofed = {"X-Forwarded-For": "10.9.9.9", **_bogus()}
    with client_from("127.0.0.76", base) as direct:
        direct.get("/api/v1/notifications", headers=spoofed)
    with client_from("127.0.0.79", base) as proxy:
        proxy.get("/api/v1/notifications", headers={**spoofed, "X-Forwarded-For": "1.2.3.4"})
    assert clientip.failures(res.redis, "127.0.0.76") == 1
    assert clientip.failures(res.redis, "10.9.9.9") == 0
    assert clientip.failures(res.redis, "1.2.3.4") == 1


def test_through_the_balancer_the_gateway_sees_the_callers_address(stack, res):
    base = f"http://127.0.0.1:{stack.port('lb_port')}"
    with client_from("127.0.0.77", base) as caller:
        answer = caller.get(
            "/api/v1/notifications", headers={"X-Forwarded-For": "10.8.8.8", **_bogus()}
        )
    assert answer.status_code == 401
    assert clientip.failures(res.redis, "127.0.0.77") == 1
    assert clientip.failures(res.redis, "10.8.8.8") == 0
