"""The backpressure threshold set at run time: every gateway refuses posts past it within
a second or two, without a restart, and goes back to the setting when it is cleared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chirp.infra.provision.local import process
from chirp.stack.tweets import backpressure
from tests.api import Api, eventually
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration


@pytest.fixture
def cleared(res) -> Iterator[None]:
    backpressure.set_threshold(res.redis, None)
    yield
    backpressure.set_threshold(res.redis, None)


def test_setting_and_clearing_the_threshold_says_what_was_there(res, cleared):
    assert backpressure.threshold(res.redis) is None
    assert backpressure.set_threshold(res.redis, 50) is None
    assert backpressure.threshold(res.redis) == 50
    assert backpressure.set_threshold(res.redis, 70) == 50
    assert backpressure.set_threshold(res.redis, None) == 70
    assert backpressure.threshold(res.redis) is None


def test_a_lowered_threshold_refuses_posts_while_fan_out_is_behind(stack: StackEnv, res, cleared):
    api = Api(f"http://127.0.0.1:{stack.port('lb_port')}")
    author = api.sign_up("bp")
    fanout = process.read_record(stack.run_dir / "pids" / "fanout.pid")
    worker = fanout.process() if fanout else None
    assert worker is not None, "the fan-out worker runs"
    backpressure.set_threshold(res.redis, 0)
    worker.suspend()
    try:

        def refused() -> dict | None:
            answer = api.http.post("/api/v1/tweets", json={"text": "behind"}, headers=author.auth)
            assert answer.status_code in (201, 429), answer.text
            return answer.json() if answer.status_code == 429 else None

        body = eventually(refused, what="a post refused with 429 past the lowered threshold")
        assert body["error"]["code"] == "backpressure", body
    finally:
        worker.resume()
    backpressure.set_threshold(res.redis, None)
    # Each gateway keeps its last look at the lag for a second: later tests post through
    # all of them, so wait until a run of posts long enough to reach each one is accepted.
    run = 4 * stack.settings().gateways

    def all_accepted() -> bool:
        poster = api.sign_up("bp")  # a fresh hourly allowance for each try
        return all(
            api.http.post(
                "/api/v1/tweets", json={"text": "caught up"}, headers=poster.auth
            ).status_code
            == 201
            for _ in range(run)
        )

    eventually(all_accepted, what="posts accepted again by every gateway")
