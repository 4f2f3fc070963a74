"""Moving a primary role: PostgreSQL promotion and Redis Sentinel failover.

PostgreSQL (`failover_postgres`): fence the old primary (stop it if it still runs),
promote a standby with `pg_ctl promote`, record the new primary in the run directory,
point the other standbys at it, and (unless told not to) bring the old primary back as
a standby of the new one (a fresh `pg_basebackup` clone). The services need no restart:
their connection strings name every node and libpq picks the one that accepts writes.

Redis (`failover_redis`): `SENTINEL FAILOVER`, then wait until the Sentinels report
another node as primary and that node takes writes. The services ask Sentinel for the
primary, so they follow by themselves; the old primary becomes a replica.

These are also the steps the chaos drills use: `postgres_primary`, `postgres_standbys`,
`redis_primary` and `await_redis_promotion` observe, the two `failover_*` act.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import psycopg
import redis
from psycopg import sql

from chirp.core.errors import ConfigError, FailoverFailed
from chirp.core.settings import Settings
from chirp.infra.provision.local import process, provider, topology
from chirp.infra.provision.local.postgres import (
    PostgresServer,
    connect,
    in_recovery,
    node_names,
    postgres_nodes,
)
from chirp.infra.provision.local.redis import RedisServer, redis_nodes
from chirp.infra.provision.local.sentinel import reported_primary_port, sentinels

StatusCallback = Callable[[str, str], None]
"""Called with (component name, what is happening to it now)."""

_POLL_S = 0.1
_PROMOTE_TIMEOUT_S = 60


@dataclass(frozen=True)
class PostgresFailover:
    old_primary: str
    new_primary: str
    promote_s: float
    """From `pg_ctl promote` to the new primary accepting writes."""
    rejoined: list[str]
    """Former primaries brought back as standbys of the new one."""
    total_s: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class RedisFailover:
    old_primary: str
    new_primary: str
    seconds: float
    """From the request (or the start of the wait) to the new primary taking writes."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def postgres_primary(settings: Settings) -> str | None:
    """The node that answers `pg_is_in_recovery() = false`; None when none answers."""
    settings = topology.with_recorded_shape(settings)
    return next((n for n in node_names(settings) if in_recovery(settings, n) is False), None)


def postgres_standbys(settings: Settings) -> list[str]:
    """The running nodes that answer as standbys."""
    settings = topology.with_recorded_shape(settings)
    return [
        node.name
        for node in postgres_nodes(settings)
        if provider.running(node) is not None and in_recovery(settings, node.name) is True
    ]


def failover_postgres(
    settings: Settings,
    on_status: StatusCallback,
    target: str | None = None,
    rejoin: bool = True,
) -> PostgresFailover:
    """Promote `target` (else the standby furthest ahead) in place of the primary, whether
    the primary still runs (planned) or died (unplanned)."""
    settings = topology.with_recorded_shape(settings)
    started = time.monotonic()
    nodes = {node.name: node for node in postgres_nodes(settings)}
    old = postgres_primary(settings) or topology.postgres_primary_node(settings)
    chosen = _choose_standby(settings, nodes, old, target)
    on_status(old, "fencing (stopping it if it runs)")
    # SIGINT is a fast shutdown: a live primary still sends its last WAL to the standbys.
    process.stop(nodes[old].pid_file, grace_s=settings.stop_grace_s, sig=signal.SIGINT)
    on_status(chosen, "promoting")
    promote_started = time.monotonic()
    _promote(nodes[chosen])
    promote_s = time.monotonic() - promote_started
    topology.update(settings, postgres_primary=chosen)
    on_status(chosen, "primary")
    for name in postgres_standbys(settings):
        _repoint(settings, nodes[name], chosen)
        on_status(name, f"follows {chosen}")
    rejoined: list[str] = []
    if rejoin:
        on_status(old, f"rejoining as a standby of {chosen}")
        provider.start_component(nodes[old], on_status)
        rejoined.append(old)
    return PostgresFailover(old, chosen, promote_s, rejoined, time.monotonic() - started)


def _choose_standby(
    settings: Settings, nodes: dict[str, PostgresServer], old: str, target: str | None
) -> str:
    standbys = [name for name in postgres_standbys(settings) if name != old]
    if target is not None:
        if target not in nodes:
            raise ConfigError(
                f"no PostgreSQL node named {target!r}; choose one of: {', '.join(nodes)}"
            )
        if target == old:
            raise ConfigError(f"{target} is already the primary")
        if target not in standbys:
            raise FailoverFailed("postgres", f"{target} is not a running standby")
        return target
    if not standbys:
        raise FailoverFailed("postgres", "no running standby to promote; start one with chirp up")
    return max(standbys, key=lambda name: _replayed_bytes(settings, nodes[name]))


def _replayed_bytes(settings: Settings, node: PostgresServer) -> int:
    """How far a standby has replayed, as a byte position in the WAL (-1 if it cannot say)."""
    try:
        with connect(settings, node.name) as conn:
            row = conn.execute(
                "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
            ).fetchone()
    except psycopg.Error:
        return -1
    return int(row[0]) if row and row[0] is not None else -1


def _promote(node: PostgresServer) -> None:
    argv = [
        node.binary("pg_ctl"),
        "promote",
        "-D",
        str(node.data_dir),
        "-w",
        "-t",
        str(_PROMOTE_TIMEOUT_S),
    ]
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        user=node.os_user,
        timeout=_PROMOTE_TIMEOUT_S + 10,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise FailoverFailed("postgres", f"pg_ctl promote {node.name}: {' '.join(last)}")
    deadline = time.monotonic() + _PROMOTE_TIMEOUT_S
    while in_recovery(node.settings, node.name) is not False:
        if time.monotonic() > deadline:
            raise FailoverFailed("postgres", f"{node.name} still in recovery after promote")
        time.sleep(_POLL_S)


def _repoint(settings: Settings, standby: PostgresServer, primary: str) -> None:
    """Make a running standby stream from the new primary (a reload, no restart)."""
    conninfo = standby.primary_conninfo(primary)
    with connect(settings, standby.name) as conn:
        conn.execute(
            sql.SQL("ALTER SYSTEM SET primary_conninfo = {}").format(sql.Literal(conninfo))
        )
        conn.execute("SELECT pg_reload_conf()")


# Redis


def redis_primary(settings: Settings) -> str | None:
    """The node ("redis" or "redis-replica") the Sentinels report as primary."""
    port = reported_primary_port(settings)
    return next((node.name for node in redis_nodes(settings) if node.port == port), None)


def failover_redis(settings: Settings, on_status: StatusCallback) -> RedisFailover:
    """`SENTINEL FAILOVER`, then wait until the other node is primary and takes writes."""
    old = redis_primary(settings)
    if old is None:
        raise FailoverFailed("redis", "no Sentinel answers; start them with chirp up")
    started = time.monotonic()
    _ask_sentinel_to_fail_over(settings, on_status)
    timeout_s = settings.sentinel_failover_timeout_ms / 1000 + 20
    promoted = await_redis_promotion(settings, old, timeout_s)
    seconds = time.monotonic() - started
    on_status(promoted.new_primary, "primary")
    nodes = {node.name: node for node in redis_nodes(settings)}
    _demote(nodes[old], nodes[promoted.new_primary])
    on_status(old, f"replica of {promoted.new_primary}, syncing")
    # Back in sync before returning, so the next failover has a replica to promote.
    if _await_link_up(nodes[old], timeout_s):
        on_status(old, "replica in sync")
    return RedisFailover(old, promoted.new_primary, seconds)


def _await_link_up(node: RedisServer, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with node.client(timeout=1) as client:
                if client.info("replication").get("master_link_status") == "up":
                    return True
        except redis.RedisError:
            return False  # not running: nothing to wait for
        time.sleep(_POLL_S)
    return False


def _demote(old: RedisServer, new: RedisServer) -> None:
    """Make the old primary a replica now, as Sentinel would on its next check (up to
    10 s later): until then it still takes writes from clients connected to it, and loses
    them when it resyncs."""
    try:
        with old.client(timeout=1) as client:
            client.execute_command("REPLICAOF", new.settings.host, str(new.port))
    except redis.RedisError:
        pass  # not running: it starts as a replica of the primary Sentinel reports


def _ask_sentinel_to_fail_over(settings: Settings, on_status: StatusCallback) -> None:
    for sentinel in sentinels(settings):
        try:
            with sentinel.client() as client:
                client.execute_command("SENTINEL", "FAILOVER", settings.redis_master_name)
        except redis.ResponseError as error:  # NOGOODSLAVE, INPROG: Sentinel's own reason
            raise FailoverFailed("redis", str(error)) from error
        except redis.RedisError:
            continue
        on_status(sentinel.name, "SENTINEL FAILOVER sent")
        return
    raise FailoverFailed("redis", "no Sentinel answers; start them with chirp up")


def await_redis_promotion(settings: Settings, old_primary: str, timeout_s: float) -> RedisFailover:
    """Poll the Sentinels until a node other than `old_primary` is reported primary and
    answers writes; `seconds` counts from this call."""
    started = time.monotonic()
    deadline = started + timeout_s
    nodes = {node.name: node for node in redis_nodes(settings)}
    while time.monotonic() < deadline:
        current = redis_primary(settings)
        if current is not None and current != old_primary and _takes_writes(nodes[current]):
            return RedisFailover(old_primary, current, time.monotonic() - started)
        time.sleep(_POLL_S)
    raise FailoverFailed(
        "redis", f"no node other than {old_primary} became a writable primary in {timeout_s:.0f}s"
    )


def _takes_writes(node: RedisServer) -> bool:
    try:
        with node.client(timeout=1) as client:
            client.set("chirp:failover:probe", str(time.time()), px=60_000)
    except redis.RedisError:  # READONLY while it is still a replica
        return False
    return True
