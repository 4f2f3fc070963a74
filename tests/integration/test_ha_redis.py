"""Redis replication and Sentinel on the session stack: failover on request, promotion
after a kill -9, and feeds served throughout. Every test leaves `redis` as the primary."""

from __future__ import annotations

import json

import pytest

from chirp.infra.provision.local import failover
from chirp.infra.provision.local.faults import LocalFaults
from chirp.infra.provision.local.roles import redis_roles
from tests.api import Api, eventually
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(stack: StackEnv) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


def _roles(stack: StackEnv) -> dict[str, str]:
    return {name: role.role for name, role in redis_roles(stack.settings()).items()}


def _feed_serves(api: Api, reader, tweet_id: str) -> bool:
    answer = api.feed(reader, limit=100)
    return answer.status_code == 200 and tweet_id in [t["tweet_id"] for t in answer.json()["items"]]


def _back_to_redis(stack: StackEnv) -> None:
    """Planned failover back, so the next test starts from the usual shape."""
    if failover.redis_primary(stack.settings()) != "redis":
        done = stack.chirp("failover", "redis", "--json")
        assert done.returncode == 0, done.stderr
    assert failover.redis_primary(stack.settings()) == "redis"


def test_sentinels_name_the_primary_and_the_replica_streams(stack):
    assert failover.redis_primary(stack.settings()) == "redis"
    eventually(
        lambda: _roles(stack) == {"redis": "primary", "redis-replica": "replica"},
        what="redis-replica streaming from redis",
    )


def test_failover_on_request_keeps_feeds_serving(stack, api):
    author, reader = api.sign_up("ra"), api.sign_up("rr")
    api.follow(reader, author)
    before = api.post(author, "before the redis failover")
    eventually(lambda: _feed_serves(api, reader, before["tweet_id"]), what="fan-out before")

    done = stack.chirp("failover", "redis", "--json")
    assert done.returncode == 0, done.stderr
    moved = json.loads(done.stdout)
    assert (moved["old_primary"], moved["new_primary"]) == ("redis", "redis-replica")
    assert _roles(stack) == {"redis": "replica", "redis-replica": "primary"}

    # The feed written before the failover was replicated; new fan-out reaches the new primary.
    assert _feed_serves(api, reader, before["tweet_id"])
    after = api.post(author, "after the redis failover")
    eventually(lambda: _feed_serves(api, reader, after["tweet_id"]), what="fan-out after")
    _back_to_redis(stack)
    eventually(lambda: _feed_serves(api, reader, after["tweet_id"]), what="feed after the return")


def test_sentinel_promotes_the_replica_when_the_primary_is_killed(stack, api):
    settings = stack.settings()
    author, reader = api.sign_up("ka"), api.sign_up("kr")
    api.follow(reader, author)
    LocalFaults(settings).kill("redis")
    promoted = failover.await_redis_promotion(settings, "redis", timeout_s=60)
    assert promoted.new_primary == "redis-replica"
    print(f"Sentinel promoted {promoted.new_primary} {promoted.seconds:.2f}s after the kill")

    tweet = api.post(author, "while the old primary is dead")
    eventually(lambda: _feed_serves(api, reader, tweet["tweet_id"]), what="feed on the new primary")

    restarted = stack.chirp("up")
    assert restarted.returncode == 0, restarted.stderr
    # The old primary comes back as a replica of the promoted one, never a second primary.
    eventually(
        lambda: _roles(stack) == {"redis": "replica", "redis-replica": "primary"},
        what="redis rejoined as a replica",
    )
    _back_to_redis(stack)
