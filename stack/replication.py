"""How far each PostgreSQL read replica is behind the primary, as the primary sees it, and
waiting until a replica holds a write.

Replicas connect with their component name as `application_name`, so the primary's
`pg_stat_replication` names them. The gateway exports the figures as gauges; `chirp
status` shows them.

Replication is asynchronous, so a write the primary committed in the moment before it
died may not be on the replica promoted in its place. `await_standby` closes that window
for the writes a user is told succeeded: it holds the answer until a streaming replica
has flushed the commit, for a bounded time, and not at all while none streams (the
replica's loss must not stop writes). That is semi-synchronous replication, per write.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from prometheus_client import Counter, Gauge

LAG_BYTES = Gauge(
    "chirp_pg_replication_lag_bytes", "WAL the replica has not replayed yet", ["replica"]
)
LAG_SECONDS = Gauge(
    "chirp_pg_replication_lag_seconds",
    "Replay delay of the replica's last applied change",
    ["replica"],
)

STANDBY_WAITS = Counter(
    "chirp_pg_standby_waits_total",
    "Acknowledged writes held for a replica's flush, by how the wait ended",
    ["outcome"],
)

_LAG_SQL = """
SELECT application_name,
       state,
       COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint,
       COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float8
FROM pg_stat_replication
ORDER BY application_name
"""


@dataclass(frozen=True)
class ReplicaLag:
    replica: str
    state: str
    lag_bytes: int
    lag_s: float

    def as_dict(self) -> dict[str, object]:
        return {
            "replica": self.replica,
            "state": self.state,
            "lag_bytes": self.lag_bytes,
            "lag_s": round(self.lag_s, 3),
        }


def replica_lag(conn: psycopg.Connection) -> list[ReplicaLag]:
    """Every replica streaming from the primary `conn` is connected to."""
    rows = conn.execute(_LAG_SQL).fetchall()
    return [ReplicaLag(str(name), str(state), int(b), float(s)) for name, state, b, s in rows]


def export(lags: list[ReplicaLag]) -> None:
    """Set the gauges to these figures; replicas no longer streaming are dropped."""
    LAG_BYTES.clear()
    LAG_SECONDS.clear()
    for lag in lags:
        LAG_BYTES.labels(lag.replica).set(lag.lag_bytes)
        LAG_SECONDS.labels(lag.replica).set(lag.lag_s)


# A replica whose positions the session may not see (no pg_monitor role) has a NULL
# flush_lsn: it is not counted, so it cannot make every write wait out the timeout.
_FLUSHED_SQL = """
SELECT w.lsn::text,
       count(r.flush_lsn),
       count(r.flush_lsn) FILTER (WHERE r.flush_lsn >= w.lsn)
FROM (SELECT COALESCE(%s::pg_lsn, pg_current_wal_lsn()) AS lsn) AS w
LEFT JOIN pg_stat_replication AS r ON r.state = 'streaming'
GROUP BY w.lsn
"""
_FIRST_POLL_S = 0.001
_LONGEST_POLL_S = 0.02


def await_standby(conn: psycopg.Connection, timeout_s: float) -> bool:
    """Wait until a streaming replica has flushed everything `conn`'s primary has written
    so far (call it after the commit). True when one has, or none streams; False when
    `timeout_s` ran out first."""
    if timeout_s <= 0:
        return True
    deadline = time.monotonic() + timeout_s
    lsn: str | None = None
    pause = _FIRST_POLL_S
    while True:
        row = conn.execute(_FLUSHED_SQL, (lsn,)).fetchone()
        assert row is not None
        lsn, streaming, flushed = row
        if not streaming or flushed:
            STANDBY_WAITS.labels("flushed" if flushed else "no_replica").inc()
            return True
        if time.monotonic() + pause > deadline:
            STANDBY_WAITS.labels("timed_out").inc()
            return False
        time.sleep(pause)
        pause = min(pause * 2, _LONGEST_POLL_S)
