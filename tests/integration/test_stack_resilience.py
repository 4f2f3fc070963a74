"""The stack's promises under failure: HAProxy routes around a dead gateway, and a tweet
acknowledged while Kafka is down still reaches followers' feeds and search."""

from __future__ import annotations

import pytest

from chirp.infra.provision.local import process
from tests.api import Api, eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(stack) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


def _nodes_answering(api: Api, requests: int = 20) -> set[str]:
    return {api.http.get("/healthz").headers["x-chirp-node"] for _ in range(requests)}


def test_haproxy_spreads_and_routes_around_a_dead_gateway(stack, api):
    assert _nodes_answering(api) == {"1", "2"}
    record = process.read_record(stack.run_dir / "pids" / "gateway-1.pid")
    assert record is not None and record.alive()
    process.terminate(record, grace_s=0, sig=9)
    # Health checks every 1 s, fall 2: the dead gateway leaves the rotation.
    eventually(lambda: _nodes_answering(api, 10) == {"2"}, what="traffic only to gateway-2")
    answers = [api.http.get("/healthz").status_code for _ in range(20)]
    assert answers == [200] * 20
    restarted = stack.chirp("up")
    assert restarted.returncode == 0, restarted.stderr
    eventually(lambda: _nodes_answering(api) == {"1", "2"}, what="gateway-1 back in rotation")


def test_tweet_acknowledged_while_kafka_is_down_still_fans_out_and_indexes(stack, api):
    author, reader = api.sign_up("author"), api.sign_up("reader")
    api.follow(reader, author)
    kafka_pid = stack.run_dir / "pids" / "kafka.pid"
    assert process.stop(kafka_pid, grace_s=20)
    try:
        tweet = api.post(author, "written while kafka sleeps #outage")
    finally:
        restarted = stack.chirp("up")
    assert restarted.returncode == 0, restarted.stderr
    eventually(
        lambda: tweet["tweet_id"] in api.feed_ids(reader), timeout_s=90, what="fan-out after outage"
    )

    def indexed() -> bool:
        found = api.http.get("/api/v1/search", params={"q": "sleeps"})
        return found.status_code == 200 and any(
            t["tweet_id"] == tweet["tweet_id"] for t in found.json()["items"]
        )

    eventually(indexed, timeout_s=90, what="indexing after outage")
