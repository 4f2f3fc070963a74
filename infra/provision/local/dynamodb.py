"""AWS DynamoDB Local 2.x, persisted on disk with -dbPath, listening on `host` only.

DynamoDB Local's own main binds every address; chirp starts it through a small launcher
(`launchers/DynamoDBLocalNode.java`) that binds its server to the stack's host.

It keeps the last 24 hours of every stream's records in one SQLite table (`us`), indexed
by sequence number alone, and looks them up by stream on every call on a streamed table
and by shard on every GetRecords: scans that grew with the data held (31,000 records: 45
ms a GetItem and 89 ms a PutItem on `tweets`, 50 ms a GetRecords; 2 to 5 ms indexed).
chirp adds those two indexes to the database file once the server has made it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from chirp.core import components
from chirp.infra.provision.local.component import Port
from chirp.infra.provision.local.jvm import JvmComponent
from chirp.stack import clients


@dataclass
class DynamoDBServer(JvmComponent):
    name: ClassVar[str] = components.DYNAMODB
    # A Java source file: `java` compiles and runs it in one step (JEP 330).
    main_class: ClassVar[str] = str(Path(__file__).parent / "launchers" / "DynamoDBLocalNode.java")

    @property
    def version(self) -> str:
        return self.settings.dynamodb_version

    @property
    def heap_mb(self) -> int:
        return self.settings.dynamodb_heap_mb

    def ports(self) -> list[Port]:
        return [Port(self.settings.dynamodb_port, "dynamodb_port")]

    @property
    def tmp_dir(self) -> Path:
        return self.home / "tmp"

    def prepare(self) -> None:
        super().prepare()
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def jvm_options(self) -> list[str]:
        # The jar unpacks its own sqlite native library here; without the folder every
        # request fails with HTTP 500.
        return [f"-Dorg.sqlite.tmpdir={self.tmp_dir}", f"-Djava.io.tmpdir={self.tmp_dir}"]

    def arguments(self) -> list[str]:
        return [
            self.settings.host,
            "-sharedDb",
            "-dbPath",
            str(self.data_dir),
            "-port",
            str(self.settings.dynamodb_port),
            "-disableTelemetry",
        ]

    def probe(self) -> None:
        clients.dynamodb_client(self.settings, attempts=1).list_tables(Limit=1)

    @property
    def database_file(self) -> Path:
        return self.data_dir / "shared-local-instance.db"  # the name -sharedDb gives it

    def after_start(self) -> None:
        # The probe's first request made the file and its tables; SQLite's own locking
        # lets the indexes be built beside the running server (62 ms for one over 31,000 records).
        with contextlib.closing(sqlite3.connect(self.database_file, timeout=30)) as db:
            if db.execute(_HAS_STREAM_RECORDS).fetchone():
                for index in _STREAM_RECORD_INDEXES:
                    db.execute(index)
                db.commit()


_HAS_STREAM_RECORDS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'us'"
_STREAM_RECORD_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "chirp*by_stream" ON us (StreamID, ShardID, SequenceNumber)',
    'CREATE INDEX IF NOT EXISTS "chirp*by_shard" ON us (ShardID, SequenceNumber)',
)
