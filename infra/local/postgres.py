"""PostgreSQL from the Debian package, as chirp's own cluster under the run directory.

PostgreSQL refuses to run as root, so when chirp runs as root the cluster is
owned by, and the server runs as, the `postgres` OS user the package creates.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psycopg
from psycopg import sql

from infra.local.component import Component, Port, Problem
from stack.errors import ComponentFailed

_OS_USER = "postgres"


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


@dataclass
class PostgresServer(Component):
    name: ClassVar[str] = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to leave.
    stop_signal: ClassVar[int] = signal.SIGINT

    def __post_init__(self) -> None:
        if os.geteuid() == 0:
            self.os_user = _OS_USER

    def ports(self) -> list[Port]:
        return [Port(self.settings.postgres_port, "postgres_port")]

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

    def _binary(self, name: str) -> str:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise ComponentFailed(self.name, "postgres binaries not found; run chirp doctor")
        return str(bin_dir / name)

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.os_user:
            shutil.chown(self.home, user=self.os_user)
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = subprocess.run(
            [
                self._binary("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                self.settings.postgres_user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
            user=self.os_user,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            last = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise ComponentFailed(self.name, f"initdb failed: {' '.join(last)}")

    def command(self) -> list[str]:
        s = self.settings
        return [
            self._binary("postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(s.postgres_port),
            "-c",
            f"listen_addresses={s.host}",
            "-c",
            f"unix_socket_directories={self.home}",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=128MB",
            "-c",
            "wal_level=replica",
        ]

    def _connect(self, dbname: str) -> psycopg.Connection:
        s = self.settings
        return psycopg.connect(
            host=s.host,
            port=s.postgres_port,
            user=s.postgres_user,
            dbname=dbname,
            connect_timeout=2,
            autocommit=True,
        )

    def probe(self) -> None:
        with self._connect("postgres") as conn:
            conn.execute("SELECT 1").fetchone()

    def after_start(self) -> None:
        with self._connect("postgres") as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.settings.postgres_db,)
            ).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.settings.postgres_db))
                )
