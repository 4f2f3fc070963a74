"""PostgreSQL replication on the session stack: a primary and one streaming replica.

Routing is proven by pausing the replica's WAL replay: while paused, the replica holds
yesterday's answer, so what a read returns says which server answered. Every test leaves
`postgres` as the primary with its replica streaming.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from chirp.core.errors import ComponentFailed
from chirp.core.observe import scrape
from chirp.infra.provision.local import failover, postgres, process, topology
from chirp.infra.provision.local.faults import LocalFaults
from chirp.stack import clients, replication
from chirp.stack.users import profiles
from chirp.stack.users import store as user_store
from tests.api import Api, eventually
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration

REPLICA = "postgres-replica-1"


@pytest.fixture(scope="module")
def api(stack: StackEnv) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


@pytest.fixture
def paused_replay(stack: StackEnv) -> Iterator[None]:
    """The replica stops applying WAL (it still answers), and resumes after the test."""
    settings = stack.settings()
    with postgres.connect(settings, REPLICA) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with postgres.connect(settings, REPLICA) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def stalled_receiver(stack: StackEnv) -> Iterator[None]:
    """The replica's WAL receiver is stopped: the primary still lists it as streaming, but
    it flushes nothing until the test ends."""
    with postgres.connect(stack.settings(), REPLICA) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_wal_receiver").fetchone()
    assert row is not None, "the replica has no WAL receiver"
    os.kill(row[0], signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(row[0], signal.SIGCONT)


def _following(api: Api, user_id: int | str) -> list[str]:
    answer = api.http.get(f"/api/v1/users/{user_id}/following", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return [u["user_id"] for u in answer.json()["items"]]


def _direct_user(res, prefix: str) -> int:
    """A user written straight to the primary: no API call, so no read-your-writes mark."""
    user_id = res.ids.next_id()
    with res.pg.connection() as conn:
        user_store.create_user(conn, user_id, f"{prefix}{user_id}", prefix, uuid.uuid4().hex)
    return user_id


def test_the_stack_runs_a_primary_and_a_streaming_replica(stack):
    settings = stack.settings()
    assert failover.postgres_primary(settings) == "postgres"
    assert failover.postgres_standbys(settings) == [REPLICA]
    done = stack.chirp("status", "--json")
    rows = {c["name"]: c for c in json.loads(done.stdout)["components"]}
    assert rows["postgres"]["role"] == "primary"
    assert rows[REPLICA]["role"] == "replica"
    lag = rows[REPLICA]["replication"]
    assert lag["state"] == "streaming" and lag["lag_bytes"] >= 0 and lag["lag_s"] >= 0


def test_a_write_on_the_primary_is_readable_on_the_replica(stack):
    settings = stack.settings()
    marker = str(uuid.uuid4())
    with clients.postgres_connection(settings) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS ha_probe (v TEXT)")
        conn.execute("INSERT INTO ha_probe VALUES (%s)", (marker,))

    def on_replica() -> bool:
        with postgres.connect(settings, REPLICA, settings.postgres_db) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
            found = conn.execute("SELECT to_regclass('ha_probe') IS NOT NULL").fetchone()
            if not found or not found[0]:
                return False
            return conn.execute("SELECT 1 FROM ha_probe WHERE v = %s", (marker,)).fetchone()

    eventually(on_replica, what="the row replicated")


def _replica_flushed_to(settings) -> str:
    with postgres.connect(settings, REPLICA) as conn:
        row = conn.execute("SELECT pg_last_wal_receive_lsn()::text").fetchone()
    assert row is not None
    return row[0]


def _lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def test_a_write_is_on_the_replica_when_the_wait_returns(stack):
    settings = stack.settings()
    with clients.postgres_connection(settings) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS ha_probe (v TEXT)")
        conn.execute("INSERT INTO ha_probe VALUES (%s)", (str(uuid.uuid4()),))
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert replication.await_standby(conn, timeout_s=30)
    assert row is not None
    assert _lsn(_replica_flushed_to(settings)) >= _lsn(row[0])


def test_a_stalled_replica_delays_a_write_but_does_not_stop_it(stack, api, stalled_receiver):
    settings = stack.settings()
    with clients.postgres_connection(settings) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS ha_probe (v TEXT)")
        conn.execute("INSERT INTO ha_probe VALUES (%s)", (str(uuid.uuid4()),))
        assert replication.await_standby(conn, timeout_s=0.2) is False
    # Through the API the follow is acknowledged once the gateway's bounded wait ran out.
    author, fan = api.sign_up("sa"), api.sign_up("sf")
    api.follow(fan, author)
    assert author.user_id in _following(api, fan.user_id)


def test_profile_and_following_reads_are_served_by_the_replica(stack, api, res, paused_replay):
    # Written while the replica does not replay: only the primary knows these.
    reader, followee = _direct_user(res, "rd"), _direct_user(res, "fe")
    with res.pg.connection() as conn:
        user_store.set_follow(conn, reader, followee, True, 0)

    # 404 only a replica can give. Polled: a read connection left on the primary (by a
    # failover a moment ago) is swapped for a replica's within seconds. A 200 from it
    # would sit in the profile cache, so each poll starts from an empty cache.
    def profile_from_replica() -> bool:
        profiles.forget(res, reader)
        return api.http.get(f"/api/v1/users/{reader}").status_code == 404

    eventually(profile_from_replica, timeout_s=90, what="the profile read served by the replica")
    eventually(
        lambda: api.http.get(f"/api/v1/users/{reader}/following").status_code == 404,
        timeout_s=90,
        what="the following read served by the paused replica",
    )
    with res.pg.connection() as conn:
        assert user_store.get_user(conn, reader) is not None
    served = _reads_by_server(stack)
    assert served.get(("replica", "standby"), 0) > 0, served


def _gateways(stack: StackEnv) -> list[str]:
    """Each gateway's own address, bypassing HAProxy."""
    base = stack.port("gateway_base_port")
    return [f"http://127.0.0.1:{base + n}" for n in range(stack.settings().gateways)]


def _reads_by_server(stack: StackEnv) -> dict[tuple[str, str], float]:
    """chirp_pg_reads_total of every gateway, by (pool asked, role of the server)."""
    totals: dict[tuple[str, str], float] = {}
    for gateway in _gateways(stack):
        for name, labels, value in scrape(f"{gateway}/metrics") or []:
            if name == "chirp_pg_reads_total":
                key = (labels["pool"], labels["server"])
                totals[key] = totals.get(key, 0) + value
    return totals


def test_reads_right_after_a_follow_see_it(stack, api, paused_replay):
    me = api.sign_up("ryw")
    before = _reads_by_server(stack).get(("primary", "primary"), 0)
    for n in range(30):
        other = api.sign_up("tgt")
        api.follow(me, other)
        assert other.user_id in _following(api, me.user_id), f"follow {n} not seen"
        profile = api.http.get(f"/api/v1/users/{other.user_id}").json()
        assert profile["follower_count"] == 1
        gone = api.http.delete(
            f"/api/v1/users/{me.user_id}/following/{other.user_id}", headers=me.auth
        )
        assert gone.status_code == 204
        assert other.user_id not in _following(api, me.user_id), f"unfollow {n} not seen"
    # Both following lists of every round were read on the primary.
    assert _reads_by_server(stack).get(("primary", "primary"), 0) - before >= 60


def test_reads_survive_the_replica_dying(stack, api):
    author, fan = api.sign_up("ka"), api.sign_up("kf")
    api.follow(fan, author)
    settings = stack.settings()
    LocalFaults(settings).kill(REPLICA)
    try:
        answers = []
        for _ in range(25):
            answers.append(api.http.get(f"/api/v1/users/{author.user_id}").status_code)
            answers.append(api.http.get(f"/api/v1/users/{fan.user_id}/following").status_code)
            answers.append(api.http.get(f"/api/v1/users/{author.user_id}/followers").status_code)
        assert answers == [200] * len(answers)
        assert _readiness_of_each_gateway(stack) == [200] * 6
    finally:
        restarted = stack.chirp("up")
    assert restarted.returncode == 0, restarted.stderr
    eventually(lambda: failover.postgres_standbys(settings) == [REPLICA], what="replica back")


def _readiness_of_each_gateway(stack: StackEnv, rounds: int = 3) -> list[int]:
    """Each gateway's /readyz, asked directly, over rounds longer apart than its cache."""
    codes = []
    for _ in range(rounds):
        codes += [httpx.get(f"{g}/readyz", timeout=10).status_code for g in _gateways(stack)]
        time.sleep(0.6)
    return codes


def _balancer_has_every_gateway(stack: StackEnv) -> bool:
    """Whether HAProxy's stats list each gateway UP. On a busy machine a failover can slow
    readiness past a check or two; HAProxy then wants two good checks before it is back."""
    stats = httpx.get(f"http://127.0.0.1:{stack.port('lb_stats_port')}/;csv", timeout=10)
    rows = csv.DictReader(io.StringIO(stats.text.removeprefix("# ")))
    states = [r["status"] for r in rows if r["pxname"] == "gateways" and r["svname"] != "BACKEND"]
    return states == ["UP"] * len(_gateways(stack))


def _every_gateway_writes(stack: StackEnv) -> bool:
    """Whether each gateway, asked directly, signs a user up. Right after a failover one
    may still answer 503 (retry later) until its pool reaches the new primary."""
    for gateway in _gateways(stack):
        answer = httpx.post(
            f"{gateway}/api/v1/users",
            json={"username": f"gw{uuid.uuid4().hex[:10]}", "display_name": "g"},
            timeout=10,
        )
        if answer.status_code != 201:
            assert answer.status_code == 503, answer.text
            return False
    return True


def test_failover_keeps_writes_working_and_the_old_primary_rejoins(stack, api):
    settings = stack.settings()
    LocalFaults(settings).kill("postgres")
    refused = api.http.post("/api/v1/users", json={"username": "nope" + uuid.uuid4().hex[:8],
                                                    "display_name": "n"})  # fmt: skip
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "unavailable"
    # Reads still work from the replica, so readiness passes and the balancer keeps every
    # gateway, whatever the read pool held when the primary died.
    assert _readiness_of_each_gateway(stack) == [200] * 6

    done = stack.chirp("failover", "postgres", "--json")
    assert done.returncode == 0, done.stderr
    moved = json.loads(done.stdout)
    assert (moved["old_primary"], moved["new_primary"]) == ("postgres", REPLICA)
    assert moved["rejoined"] == ["postgres"]
    assert failover.postgres_primary(settings) == REPLICA
    assert failover.postgres_standbys(settings) == ["postgres"]
    eventually(lambda: _every_gateway_writes(stack), what="writes on the new primary")
    eventually(lambda: _balancer_has_every_gateway(stack), what="every gateway in the balancer")
    a, b = api.sign_up("fa"), api.sign_up("fb")
    api.follow(a, b)
    assert b.user_id in _following(api, a.user_id)

    # Planned, back to the usual shape, for the tests after this one.
    back = stack.chirp("failover", "postgres", "--to", "postgres", "--json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["new_primary"] == "postgres"
    assert failover.postgres_primary(settings) == "postgres"
    assert failover.postgres_standbys(settings) == [REPLICA]
    eventually(lambda: _every_gateway_writes(stack), what="writes on the old primary again")
    eventually(lambda: _balancer_has_every_gateway(stack), what="every gateway in the balancer")
    c = api.sign_up("fc")
    api.follow(c, a)
    assert a.user_id in _following(api, c.user_id)


def test_failover_refuses_an_unknown_target_in_one_line(stack):
    done = stack.chirp("failover", "postgres", "--to", "nosuch")
    assert done.returncode == 1
    assert "no PostgreSQL node named 'nosuch'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_node_is_never_wiped_without_proof_that_the_primary_is_newer(stack):
    """A stopped replica whose data looks like a primary's (no standby.signal) and is on
    the primary's own timeline may hold writes the primary never saw: nothing is deleted."""
    settings = topology.with_recorded_shape(stack.settings())
    replica = next(n for n in postgres.postgres_nodes(settings) if n.name == REPLICA)
    with postgres.connect(settings, REPLICA) as conn:
        conn.execute("CHECKPOINT")  # a restartpoint: its control file names the timeline
    process.stop(replica.pid_file, grace_s=settings.stop_grace_s, sig=signal.SIGINT)
    witness = replica.data_dir / "chirp-witness"
    try:
        witness.write_text("still here")
        replica.standby_signal.unlink()
        with pytest.raises(ComponentFailed, match="nothing deleted"):
            replica.prepare()
        assert witness.read_text() == "still here"
        assert (replica.data_dir / "PG_VERSION").exists()
    finally:
        witness.unlink(missing_ok=True)
        replica.follow(topology.postgres_primary_node(settings))
        # Through the CLI, so the server is not a child of this test process (a drill that
        # kills it later would leave it a zombie holding its pid).
        restarted = stack.chirp("up")
    assert restarted.returncode == 0, restarted.stderr
    assert failover.postgres_standbys(settings) == [REPLICA]
