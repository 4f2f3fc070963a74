"""PostgreSQL from the Debian package: chirp's own primary and streaming read replicas.

Every node is a `PostgresServer`: `postgres` (index 0) and `postgres-replica-N`. A
name stays tied to its data directory and port; the primary role moves with a failover,
and the run directory's topology records who holds it. A node that is not the recorded
primary starts as a standby of it: cloned with `pg_basebackup -R` when it has no data,
and wiped and cloned again when its data is a former primary's (fenced, it may have
written what the new primary never saw).

PostgreSQL refuses to run as root, so when chirp runs as root the clusters are owned by,
and the servers run as, the `postgres` OS user the package creates.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psycopg
from psycopg import sql

from infra.local import topology
from infra.local.component import Component, Port, Problem
from stack.errors import ComponentFailed
from stack.settings import Settings

_OS_USER = "postgres"
REPLICA_PREFIX = "postgres-replica-"


def _bin_dir() -> Path | None:
    """The newest PostgreSQL server bin directory on this machine."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("postgres")
    return Path(found).parent if found else None


def node_names(settings: Settings, replicas: int | None = None) -> list[str]:
    """`postgres`, then `postgres-replica-1..N` for `replicas` (default: the recorded count)."""
    count = topology.pg_replica_count(settings) if replicas is None else replicas
    return [topology.PRIMARY_NODE, *(f"{REPLICA_PREFIX}{n}" for n in range(1, count + 1))]


def node_port(settings: Settings, name: str) -> int:
    if name == topology.PRIMARY_NODE:
        return settings.postgres_port
    return settings.postgres_replica_base_port + int(name.removeprefix(REPLICA_PREFIX)) - 1


def connect(settings: Settings, name: str, dbname: str = "postgres") -> psycopg.Connection:
    """A direct connection to one node, whatever its role."""
    return psycopg.connect(
        host=settings.host,
        port=node_port(settings, name),
        user=settings.postgres_user,
        dbname=dbname,
        connect_timeout=2,
        autocommit=True,
    )


def in_recovery(settings: Settings, name: str) -> bool | None:
    """True for a standby, False for a primary, None when the node does not answer."""
    try:
        with connect(settings, name) as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    except psycopg.Error:
        return None
    return bool(row[0]) if row else None


@dataclass
class PostgresServer(Component):
    name: ClassVar[str] = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to leave.
    stop_signal: ClassVar[int] = signal.SIGINT

    index: int = 0
    """0 for `postgres`, N for `postgres-replica-N`."""

    def __post_init__(self) -> None:
        if self.index:
            # Instances, not the class, carry replica names (as gateways do).
            self.name = f"{REPLICA_PREFIX}{self.index}"  # type: ignore[misc]
        if os.geteuid() == 0:
            self.os_user = _OS_USER

    @property
    def port(self) -> int:
        return node_port(self.settings, self.name)

    def ports(self) -> list[Port]:
        setting = "postgres_replica_base_port" if self.index else "postgres_port"
        return [Port(self.port, setting)]

    def problems(self) -> list[Problem]:
        problems = []
        if _bin_dir() is None:
            problems.append(Problem("postgresql server", "apt-get install -y postgresql"))
        if self.os_user:
            try:
                import pwd

                pwd.getpwnam(self.os_user)
            except KeyError:
                problems.append(Problem(f"OS user {self.os_user}", "apt-get install -y postgresql"))
        return problems

    def binary(self, name: str) -> str:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise ComponentFailed(self.name, "postgres binaries not found; run chirp doctor")
        return str(bin_dir / name)

    def is_recorded_primary(self) -> bool:
        return topology.postgres_primary_node(self.settings) == self.name

    @property
    def standby_signal(self) -> Path:
        return self.data_dir / "standby.signal"

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.os_user:
            shutil.chown(self.home, user=self.os_user)
        has_data = (self.data_dir / "PG_VERSION").exists()
        if self.is_recorded_primary():
            if not has_data:
                self._initdb()
            return
        if has_data and not self.standby_signal.exists():
            # A former primary: fenced at the failover, it rejoins as a fresh clone.
            shutil.rmtree(self.data_dir)
            has_data = False
        primary = topology.postgres_primary_node(self.settings)
        if not has_data:
            self._wait_for_primary(primary)
            self._base_backup(primary)
        self.follow(primary)

    def _run(self, argv: list[str], what: str, timeout_s: float) -> None:
        result = subprocess.run(
            argv, capture_output=True, text=True, user=self.os_user, timeout=timeout_s, check=False
        )
        if result.returncode != 0:
            last = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise ComponentFailed(self.name, f"{what} failed: {' '.join(last)}")

    def _initdb(self) -> None:
        self._run(
            [
                self.binary("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                self.settings.postgres_user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            "initdb",
            120,
        )

    def _wait_for_primary(self, primary: str) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_s
        while in_recovery(self.settings, primary) is not False:
            if time.monotonic() > deadline:
                raise ComponentFailed(
                    self.name, f"no primary to clone: {primary} does not answer as primary"
                )
            time.sleep(0.5)

    def _base_backup(self, primary: str) -> None:
        s = self.settings
        self._run(
            [
                self.binary("pg_basebackup"),
                "-h",
                s.host,
                "-p",
                str(node_port(s, primary)),
                "-U",
                s.postgres_user,
                "-D",
                str(self.data_dir),
                "--write-recovery-conf",
                "--wal-method=stream",
                "--checkpoint=fast",
                "--no-password",
            ],
            "pg_basebackup",
            600,
        )

    def primary_conninfo(self, primary: str) -> str:
        s = self.settings
        return (
            f"host={s.host} port={node_port(s, primary)} user={s.postgres_user} "
            f"application_name={self.name}"
        )

    def follow(self, primary: str) -> None:
        """Point this standby's (stopped) data directory at `primary`."""
        auto_conf = self.data_dir / "postgresql.auto.conf"
        kept = [
            line
            for line in auto_conf.read_text().splitlines()
            if not line.startswith("primary_conninfo")
        ]
        kept.append(f"primary_conninfo = '{self.primary_conninfo(primary)}'")
        auto_conf.write_text("\n".join(kept) + "\n")
        self.standby_signal.touch()
        if self.os_user:
            shutil.chown(auto_conf, user=self.os_user)
            shutil.chown(self.standby_signal, user=self.os_user)

    def command(self) -> list[str]:
        s = self.settings
        options = {
            "listen_addresses": s.host,
            "unix_socket_directories": str(self.home),
            "max_connections": "300",
            "shared_buffers": "128MB",
            "wal_level": "replica",
            "max_wal_senders": "10",
            "max_replication_slots": "10",
            # Enough WAL for a replica that was away a while to catch up without a clone.
            "wal_keep_size": "512MB",
            "hot_standby": "on",
            "hot_standby_feedback": "on",
            "cluster_name": self.name,
        }
        argv = [self.binary("postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _connect(self, dbname: str) -> psycopg.Connection:
        return connect(self.settings, self.name, dbname)

    def probe(self) -> None:
        with self._connect("postgres") as conn:
            conn.execute("SELECT 1").fetchone()

    def after_start(self) -> None:
        with self._connect("postgres") as conn:
            row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
            if row and row[0]:
                return  # a standby gets the database from the primary
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.settings.postgres_db,)
            ).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.settings.postgres_db))
                )


def postgres_nodes(settings: Settings) -> list[PostgresServer]:
    """Every PostgreSQL node: `postgres`, then the recorded number of replicas."""
    count = topology.pg_replica_count(settings)
    return [PostgresServer(settings, index=n) for n in range(count + 1)]
