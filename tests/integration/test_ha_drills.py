"""The data tier's failover drills end to end against the session stack: a real kill -9 of a
Redis or PostgreSQL node, Sentinel or `chirp chaos` promoting the other, and the ledgers
proving that nothing acknowledged was lost. Figures are printed, never asserted."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_chaos_drills import _assert_sound, _components, _drill, healthy_after
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration
__all__ = ["healthy_after"]  # the fixture, imported so the tests here can ask for it


def _primaries(stack: StackEnv) -> dict[str, str]:
    from chirp.infra.provision.local import failover

    settings = stack.settings()
    return {
        "postgres": failover.postgres_primary(settings) or "",
        "redis": failover.redis_primary(settings) or "",
    }


def _check(journal: dict, name: str) -> dict:
    return next(c for c in journal["checks"] if c["name"] == name)


def test_redis_primary_loss_sentinel_promotes_and_feeds_are_repaired(
    stack, tmp_path, healthy_after
):
    before = _primaries(stack)["redis"]
    try:
        code, summary, journal = _drill(stack, "redis-primary-loss", tmp_path / "redis")
        _assert_sound(code, summary, journal, "redis-primary-loss")
        killed, promoted = journal["actions"][0], journal["actions"][1]
        assert killed["type"] == "kill" and before in killed["detail"]
        assert promoted["type"] == "await_redis_failover" and promoted["ok"]
        after = _primaries(stack)["redis"]
        assert after and after != before, "Sentinel made the other node the primary"
        repair = journal["feed_repair"]
        assert repair is not None and repair["missing_after"] == 0, repair
        print(f"redis-primary-loss: {promoted['detail']}; feed repair {repair}")
    finally:
        # Later tests expect the node named `redis` to be the primary again.
        if _primaries(stack)["redis"] == "redis-replica":
            done = stack.chirp("failover", "redis")
            assert done.returncode == 0, done.stderr


def test_pg_replica_loss_reads_fall_back_without_errors(stack, tmp_path, healthy_after):
    code, summary, journal = _drill(stack, "pg-replica-loss", tmp_path / "replica")
    _assert_sound(code, summary, journal, "pg-replica-loss")
    assert "postgres-replica-1" in journal["actions"][0]["detail"]
    for endpoint in ("profile", "following"):
        check = _check(
            journal, f"no user-visible errors on {endpoint} reads while the replica is dead"
        )
        assert check["verdict"] == "PASS", check
    probed = journal["phases"]["during"]
    print(f"pg-replica-loss: during {json.dumps(probed)[:300]}")


def test_pg_primary_loss_promotes_the_replica_and_loses_no_follow(stack, tmp_path, healthy_after):
    before = _primaries(stack)["postgres"]
    try:
        code, summary, journal = _drill(stack, "pg-primary-loss", tmp_path / "primary")
        _assert_sound(code, summary, journal, "pg-primary-loss")
        promote = next(a for a in journal["rollbacks"] if a["type"] == "promote_postgres")
        assert promote["ok"], promote
        after = _primaries(stack)["postgres"]
        assert after and after != before, "the standby became the primary"
        follows = journal["follow_ledger"]
        assert follows["acknowledged"] > 0
        assert follows["lost"] == [], f"acknowledged follows lost: {follows['lost']}"
        print(f"pg-primary-loss: {promote['detail']}; write outage {follows['write_outage_s']}s")
    finally:
        # Later tests expect the node named `postgres` to be the primary again.
        if _primaries(stack)["postgres"] not in ("postgres", ""):
            done = stack.chirp("failover", "postgres", "--to", "postgres")
            assert done.returncode == 0, done.stderr
    assert _components(stack)["postgres"] == "up"
