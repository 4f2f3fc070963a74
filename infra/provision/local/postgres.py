"""PostgreSQL from the Debian package: chirp's own primary and streaming read replicas.

Every node is a `PostgresServer`: `postgres` (index 0) and `postgres-replica-N`. A
name stays tied to its data directory and port; the primary role moves with a failover,
and the run directory's topology records who holds it. A node that is not the recorded
primary starts as a standby of it: cloned with `pg_basebackup -R` when it has no data,
and wiped and cloned again when its data is a former primary's (fenced, it may have
written what the new primary never saw) - but only with proof: the recorded primary
answers, on a later timeline than the one this data ends on. Without that proof the
data may be the newest there is, and nothing is deleted.

Every connection, local socket or TCP, replication too, authenticates with the stack's
generated password (scram-sha-256): the cluster is made with it, an older cluster is
given it in single-user mode before it starts, and standbys find it in a password file.

PostgreSQL refuses to run as root, so when chirp runs as root the clusters are owned by,
and the servers run as, the `postgres` OS user the package creates.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psycopg
from psycopg import sql

from chirp.core import components
from chirp.core.errors import ComponentFailed
from chirp.core.settings import Settings
from chirp.infra.provision.local import topology
from chirp.infra.provision.local.component import Component, Port, Problem
from chirp.stack import secrets

_OS_USER = "postgres"
REPLICA_PREFIX = components.POSTGRES_REPLICA_PREFIX


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
        password=secrets.load(settings).postgres_password,
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
    name: ClassVar[str] = components.POSTGRES
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

    @property
    def hba_file(self) -> Path:
        return self.home / "pg_hba.conf"

    @property
    def passfile(self) -> Path:
        """The password, for the standby's own connection to its primary and for clones."""
        return self.home / "pgpass"

    @property
    def _password_mark(self) -> Path:
        """A digest of the password the cluster was last given (never the password)."""
        return self.home / "password.sha256"

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.os_user:
            shutil.chown(self.home, user=self.os_user)
        self._write_auth_files()
        has_data = (self.data_dir / "PG_VERSION").exists()
        if self.is_recorded_primary():
            if not has_data:
                self._initdb()
            self._set_password()
            return
        primary = topology.postgres_primary_node(self.settings)
        if has_data and not self.standby_signal.exists():
            # A former primary, fenced at the failover: it rejoins as a fresh clone once the
            # primary proves it moved on past this data.
            self._wait_for_primary(primary)
            self._prove_primary_is_newer(primary)
            shutil.rmtree(self.data_dir)
            has_data = False
        if not has_data:
            self._wait_for_primary(primary)
            self._base_backup(primary)
        self.follow(primary)

    def _run(self, argv: list[str], what: str, timeout_s: float, stdin: str | None = None) -> str:
        result = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            user=self.os_user,
            timeout=timeout_s,
            check=False,
            env={**os.environ, "PGPASSFILE": str(self.passfile)},
        )
        if result.returncode != 0:
            last = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise ComponentFailed(self.name, f"{what} failed: {' '.join(last)}")
        return result.stdout

    def _password(self) -> str:
        password = secrets.load(self.settings).postgres_password
        if password is None:
            raise ComponentFailed(self.name, "no PostgreSQL password; chirp up makes one")
        return password

    def _own_file(self, path: Path, text: str) -> None:
        """Write a file only this node's OS user may read."""
        path.write_text(text)
        path.chmod(0o600)
        if self.os_user:
            shutil.chown(path, user=self.os_user)

    def _write_auth_files(self) -> None:
        self._own_file(
            self.hba_file,
            "# Written by chirp: every connection authenticates with the stack's password.\n"
            "local all all scram-sha-256\n"
            "host all all all scram-sha-256\n"
            "local replication all scram-sha-256\n"
            "host replication all all scram-sha-256\n",
        )
        self._own_file(self.passfile, f"*:*:*:{self.settings.postgres_user}:{self._password()}\n")

    def _initdb(self) -> None:
        pwfile = self.home / "initdb.pw"
        self._own_file(pwfile, self._password() + "\n")
        try:
            self._run(
                [
                    self.binary("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.settings.postgres_user,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                "initdb",
                120,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self._password_mark.write_text(_digest(self._password()))

    def _set_password(self) -> None:
        """Give a stopped primary the stack's password, when it has another (or none: a
        cluster made before passwords), in single-user mode, which needs no login."""
        digest = _digest(self._password())
        if self._password_mark.is_file() and self._password_mark.read_text() == digest:
            return
        statement = f"ALTER ROLE {self.settings.postgres_user} PASSWORD '{self._password()}';\n"
        self._run(
            [self.binary("postgres"), "--single", "-D", str(self.data_dir), "postgres"],
            "setting the password",
            120,
            stdin=statement,
        )
        self._password_mark.write_text(digest)

    def _prove_primary_is_newer(self, primary: str) -> None:
        """Raise unless `primary` runs on a later timeline than this stopped data ends on."""
        ours = self._data_timeline()
        theirs = timeline(self.settings, primary)
        if theirs is None or theirs <= ours:
            raise ComponentFailed(
                self.name,
                f"its data (timeline {ours}) looks like a primary's and {primary} is not on a "
                f"later timeline ({theirs}), so it may hold the newest writes; nothing deleted. "
                f"If {primary} really is the primary, move {self.data_dir} aside and run "
                "chirp up again",
            )

    def _data_timeline(self) -> int:
        out = self._run(
            [self.binary("pg_controldata"), "-D", str(self.data_dir)], "pg_controldata", 30
        )
        found = re.search(r"^Latest checkpoint's TimeLineID:\s*(\d+)", out, re.MULTILINE)
        if found is None:
            raise ComponentFailed(self.name, "pg_controldata names no timeline; nothing deleted")
        return int(found.group(1))

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
                "--no-password",  # it is in the password file
            ],
            "pg_basebackup",
            600,
        )

    def primary_conninfo(self, primary: str) -> str:
        s = self.settings
        return (
            f"host={s.host} port={node_port(s, primary)} user={s.postgres_user} "
            f"passfile={self.passfile} application_name={self.name}"
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
            "unix_socket_permissions": "0700",
            "hba_file": str(self.hba_file),
            "password_encryption": "scram-sha-256",
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


def timeline(settings: Settings, name: str) -> int | None:
    """The timeline a primary writes on now; None when it does not answer as a primary."""
    try:
        with connect(settings, name) as conn:
            row = conn.execute(
                "SELECT pg_walfile_name(pg_current_wal_lsn()) WHERE NOT pg_is_in_recovery()"
            ).fetchone()
    except psycopg.Error:
        return None
    return int(str(row[0])[:8], 16) if row else None


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def postgres_nodes(settings: Settings) -> list[PostgresServer]:
    """Every PostgreSQL node: `postgres`, then the recorded number of replicas."""
    count = topology.pg_replica_count(settings)
    return [PostgresServer(settings, index=n) for n in range(count + 1)]
