"""How far each PostgreSQL read replica is behind the primary, as the primary sees it.

Replicas connect with their component name as `application_name`, so the primary's
`pg_stat_replication` names them. The gateway exports the figures as gauges; `chirp
status` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from prometheus_client import Gauge

LAG_BYTES = Gauge(
    "chirp_pg_replication_lag_bytes", "WAL the replica has not replayed yet", ["replica"]
)
LAG_SECONDS = Gauge(
    "chirp_pg_replication_lag_seconds",
    "Replay delay of the replica's last applied change",
    ["replica"],
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
