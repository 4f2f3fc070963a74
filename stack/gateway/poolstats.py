"""What a gateway tells Prometheus about its PostgreSQL pools, without touching the database.

- `chirp_pg_pool_checkouts_total{pool}` and `chirp_pg_pool_connections{pool,state}`, read
  from each pool's own counters at scrape time;
- replication lag (`stack.replication`), read from the primary by a background thread
  every `replication_lag_refresh_s`, never by a scrape (`chirp_pg_lag_refreshes_total`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from chirp.stack import replication
from chirp.stack.resources import Resources

log = logging.getLogger(__name__)

LAG_REFRESHES = Counter(
    "chirp_pg_lag_refreshes_total", "Reads of replication lag from the PostgreSQL primary"
)
_STATES = {"size": "pool_size", "available": "pool_available", "waiting": "requests_waiting"}


class _PoolCollector(Collector):
    """Reports the pools of the process's gateway (the latest one opened)."""

    def __init__(self) -> None:
        self.resources: Resources | None = None

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        res = self.resources
        checkouts = CounterMetricFamily(
            "chirp_pg_pool_checkouts", "Connections handed out by the pool", labels=["pool"]
        )
        connections = GaugeMetricFamily(
            "chirp_pg_pool_connections", "The pool's connections by state", labels=["pool", "state"]
        )
        if res is not None:
            pools = {
                "primary": res.pg,
                **({"replica": res.pg_read} if res.pg_read is not res.pg else {}),
            }
            for name, pool in pools.items():
                stats = pool.get_stats()
                checkouts.add_metric([name], stats.get("requests_num", 0))
                for state, key in _STATES.items():
                    connections.add_metric([name, state], stats.get(key, 0))
        yield checkouts
        yield connections


_COLLECTOR = _PoolCollector()
REGISTRY.register(_COLLECTOR)


class PoolStats:
    """Reports `res`'s pools and refreshes the replication lag until `stop`."""

    def __init__(self, res: Resources) -> None:
        self.res = res
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._refresh, name="lag-refresh", daemon=True)

    def start(self) -> PoolStats:
        _COLLECTOR.resources = self.res
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        if _COLLECTOR.resources is self.res:
            _COLLECTOR.resources = None

    def _refresh(self) -> None:
        interval_s = self.res.settings.replication_lag_refresh_s
        while not self._stopped.is_set():
            if self.res.pg_read is not self.res.pg:
                refresh_lag(self.res)
            self._stopped.wait(interval_s)


def refresh_lag(res: Resources) -> None:
    """Read every replica's lag from the primary into the gauges; keep the last figures
    while there is no primary (a failover)."""
    LAG_REFRESHES.inc()
    try:
        with res.pg.connection(timeout=0.5) as conn:
            replication.export(replication.replica_lag(conn))
    except Exception as error:
        log.debug("replication lag not read: %s", error)
