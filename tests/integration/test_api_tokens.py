"""Bearer tokens: they expire, and rotating one refuses the old token at once everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chirp.stack.gateway import auth
from tests.api import Api, User

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(stack) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


def _gateways(stack) -> list[str]:
    base = stack.port("gateway_base_port")
    return [f"http://127.0.0.1:{base + n}" for n in range(stack.settings().gateways)]


def _status_everywhere(stack, token: str) -> set[int]:
    headers = {"Authorization": f"Bearer {token}"}
    return {
        httpx.get(f"{g}/api/v1/notifications", headers=headers).status_code
        for g in _gateways(stack)
    }


def test_a_rotated_token_is_refused_at_once_on_every_gateway(stack, api):
    ada = api.sign_up("ada")
    assert _status_everywhere(stack, ada.token) == {200}  # known (and cached) everywhere
    rotated = api.http.post(f"/api/v1/users/{ada.user_id}/tokens", headers=ada.auth)
    assert rotated.status_code == 201, rotated.text
    body = rotated.json()
    assert body["token"] != ada.token
    expires_at = datetime.fromisoformat(body["expires_at"])
    ttl = timedelta(days=stack.settings().token_ttl_days)
    assert abs(expires_at - (datetime.now(UTC) + ttl)) < timedelta(minutes=5)
    assert _status_everywhere(stack, ada.token) == {401}
    assert _status_everywhere(stack, body["token"]) == {200}


def test_only_the_user_may_rotate_its_token(api):
    ada, eve = api.sign_up("ada"), api.sign_up("eve")
    path = f"/api/v1/users/{ada.user_id}/tokens"
    assert api.http.post(path).status_code == 401
    assert api.http.post(path, headers=eve.auth).status_code == 403
    assert _feed_status(api, ada) == 200


def _feed_status(api: Api, user: User) -> int:
    return api.http.get("/api/v1/notifications", headers=user.auth).status_code


def test_a_token_past_its_lifetime_is_refused(stack, api, res):
    ada = api.sign_up("ada")
    days = stack.settings().token_ttl_days
    with res.pg.connection() as conn:
        conn.execute(
            "UPDATE users SET token_issued_at = now() - make_interval(days => %s) WHERE id = %s",
            (days + 1, int(ada.user_id)),
        )
    auth.forget(res, ada.token)  # as if its cached grant had lapsed
    answer = api.http.get("/api/v1/notifications", headers=ada.auth)
    assert answer.status_code == 401
    assert "expired" in answer.json()["error"]["message"]


def test_a_cached_grant_past_its_expiry_is_refused(api, res):
    ada = api.sign_up("ada")
    assert _feed_status(api, ada) == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    auth.remember(res, ada.token, auth.TokenGrant(int(ada.user_id), past))
    assert _feed_status(api, ada) == 401
