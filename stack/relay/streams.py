"""Follow the DynamoDB Streams of the streamed tables, checkpointing in PostgreSQL.

A shard's checkpoint moves only after Kafka acknowledged everything before it,
so a crash or a Kafka outage replays records (consumers are idempotent) but
never skips one. The one exception is forced on us: records older than the
stream's 24-hour retention are trimmed, and a checkpoint behind the trim horizon
restarts at the oldest record still there (counted and logged, never retried).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from prometheus_client import Counter
from psycopg_pool import ConnectionPool

from chirp.stack import events, tracing
from chirp.stack.relay.mapping import carrier_of, to_event
from chirp.stack.relay.publisher import Publisher

log = logging.getLogger(__name__)

TRIMMED = Counter(
    "chirp_relay_trimmed_total",
    "Shards whose checkpoint was behind the stream's trim horizon (records lost to retention)",
    ["table"],
)

BATCH = 500
"""Records asked for per GetRecords; a shard that returns this many has more waiting."""
_MISSING_REFRESH_S = 1.0
"""How often to look again while a streamed table has no open shard (just re-created)."""
_PAGE = 100
"""Shards per DescribeStream page (the API's maximum)."""


@dataclass
class _Shard:
    stream_arn: str
    table: str
    shard_id: str
    iterator: str | None = None
    finished: bool = False
    from_horizon: bool = False
    """Its checkpoint was trimmed away: read from the oldest record still in the shard."""
    after_checkpoint: bool = False
    """The iterator starts just after the checkpoint and has read nothing yet."""


@dataclass(frozen=True)
class Poll:
    """What one pass over the shards did."""

    records: int
    full: bool
    """Some shard returned a whole batch: more records are waiting, poll again at once."""
    active: frozenset[str] = frozenset()
    """The sources (tables) it read records from."""


class StreamFollower:
    """Reads every shard of every streamed table and publishes what it finds."""

    def __init__(
        self,
        dynamo: Any,
        streams: Any,
        pg: ConnectionPool,
        publisher: Publisher,
        tables: tuple[str, ...],
        refresh_s: float = 60.0,
    ) -> None:
        self._dynamo = dynamo
        self._streams = streams
        self._pg = pg
        self._publisher = publisher
        self._tables = tables
        self._refresh_s = refresh_s
        self._shards: dict[str, _Shard] = {}
        self._refreshed_at: float | None = None

    def poll(self, wanted: Callable[[str], bool] = lambda _table: True) -> Poll:
        """One pass over the open shards of the `wanted` tables: how many records it read,
        from which tables, and whether more wait."""
        if self._refresh_due():
            self._refresh_shards()
        records, full, active = 0, False, set()
        for shard in list(self._shards.values()):
            if not shard.finished and wanted(shard.table):
                read = self._poll_shard(shard)
                records += read
                full = full or read >= BATCH
                if read:
                    active.add(shard.table)
        return Poll(records, full, frozenset(active))

    def _refresh_due(self) -> bool:
        """Rarely (shards are long-lived); at once after a shard closed or vanished; every
        second while a table has no open shard, as when `chirp seed --reset` re-creates it."""
        if self._refreshed_at is None:
            return True
        age = time.monotonic() - self._refreshed_at
        followed = {s.table for s in self._shards.values() if not s.finished}
        return age > self._refresh_s or (
            age > _MISSING_REFRESH_S and not followed.issuperset(self._tables)
        )

    def _refresh_shards(self) -> None:
        done = self._finished_shards()
        for table in self._tables:
            arn = self._stream_arn(table)
            if arn is None:
                continue
            for raw in stream_shards(self._streams, arn):
                shard_id = raw["ShardId"]
                if shard_id not in self._shards:
                    self._shards[shard_id] = _Shard(
                        arn, table, shard_id, finished=(arn, shard_id) in done
                    )
        self._refreshed_at = time.monotonic()

    def _stream_arn(self, table: str) -> str | None:
        try:
            description = self._dynamo.describe_table(TableName=table)["Table"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None  # dropped, maybe being re-created: looked for again soon
            raise
        arn = description.get("LatestStreamArn")
        return None if arn is None else str(arn)

    def _poll_shard(self, shard: _Shard) -> int:
        try:
            if shard.iterator is None:
                shard.iterator, shard.after_checkpoint = self._start_iterator(shard)
            answer = self._streams.get_records(ShardIterator=shard.iterator, Limit=BATCH)
        except ClientError as error:
            self._on_read_error(shard, error)
            return 0
        records = answer.get("Records", [])
        if records:
            now_ms = int(time.time() * 1000)
            found = [(e, r) for r in records if (e := to_event(shard.table, r, now_ms)) is not None]
            self._publish(shard.table, found)  # raises NotDelivered: iterator stays put
            last = records[-1]["dynamodb"]["SequenceNumber"]
            self._checkpoint(shard, last, finished=False)
            shard.from_horizon = shard.after_checkpoint = False
        next_iterator = answer.get("NextShardIterator")
        if next_iterator is None:
            shard.finished = True
            self._checkpoint(
                shard, records[-1]["dynamodb"]["SequenceNumber"] if records else "", True
            )
            self._refreshed_at = None  # its children (if any) are open now
        shard.iterator = next_iterator
        return len(records)

    def _on_read_error(self, shard: _Shard, error: ClientError) -> None:
        code = error.response["Error"]["Code"]
        if code == "ResourceNotFoundException":
            del self._shards[shard.shard_id]  # the table was dropped (chirp seed --reset)
            self._refreshed_at = None
        elif code == "ExpiredIteratorException":
            shard.iterator = None  # next pass starts again from the checkpoint
        elif code == "TrimmedDataAccessException" and shard.after_checkpoint:
            TRIMMED.labels(shard.table).inc()
            log.error(
                "%s shard %s: the checkpoint is older than the stream keeps (24 h); records "
                "in between are gone; going on from the oldest record still there",
                shard.table,
                shard.shard_id,
            )
            shard.iterator, shard.from_horizon = None, True
        elif code == "TrimmedDataAccessException":
            # Not past a checkpoint: the horizon moved on while we read, or (DynamoDB
            # Local) the shard was empty when the iterator was taken and its first record
            # got a later sequence number. Either way, start again from the checkpoint.
            shard.iterator = None
        else:
            raise error

    def _publish(self, table: str, found: list[tuple[events.Event, dict[str, Any]]]) -> None:
        """Publish the events, each traced one under a producer span of its tweet's trace."""
        batch = [event for event, _ in found]
        carriers = [carrier_of(table, record) for _, record in found]
        if not any(carriers):
            self._publisher.publish_events(batch)
            return
        messages = [
            (e.topic, getattr(e, "tweet_id", None), c) for e, c in zip(batch, carriers, strict=True)
        ]
        with tracing.publishing(messages) as headers:
            self._publisher.publish_events(batch, headers)

    def _start_iterator(self, shard: _Shard) -> tuple[str, bool]:
        """Just after the checkpoint; at the oldest record when there is none, or when the
        checkpoint was trimmed away. Says whether it starts after a checkpoint."""
        checkpoint = None if shard.from_horizon else self._checkpoint_of(shard)
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": checkpoint}
            if checkpoint
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self._streams.get_shard_iterator(
            StreamArn=shard.stream_arn, ShardId=shard.shard_id, **position
        )["ShardIterator"]
        return str(iterator), checkpoint is not None

    def _checkpoint_of(self, shard: _Shard) -> str | None:
        """The last sequence number published from the shard (None before the first)."""
        with self._pg.connection() as conn:
            row = conn.execute(
                "SELECT sequence_number FROM relay_checkpoints WHERE stream_arn = %s"
                " AND shard_id = %s",
                (shard.stream_arn, shard.shard_id),
            ).fetchone()
        return str(row[0]) if row and row[0] else None

    def _checkpoint(self, shard: _Shard, sequence: str, finished: bool) -> None:
        with self._pg.connection() as conn:
            conn.execute(
                "INSERT INTO relay_checkpoints (stream_arn, shard_id, sequence_number, finished)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (stream_arn, shard_id) DO UPDATE SET"
                " sequence_number = CASE WHEN EXCLUDED.sequence_number = ''"
                " THEN relay_checkpoints.sequence_number ELSE EXCLUDED.sequence_number END,"
                " finished = EXCLUDED.finished, updated_at = now()",
                (shard.stream_arn, shard.shard_id, sequence, finished),
            )

    def _finished_shards(self) -> set[tuple[str, str]]:
        with self._pg.connection() as conn:
            rows = conn.execute(
                "SELECT stream_arn, shard_id FROM relay_checkpoints WHERE finished"
            ).fetchall()
        return {(r[0], r[1]) for r in rows}


def stream_shards(streams: Any, stream_arn: str, page: int = _PAGE) -> list[dict[str, Any]]:
    """Every shard of a stream, following DescribeStream's pages (`page` shards each)."""

    def describe(start: str | None) -> dict[str, Any]:
        after = {"ExclusiveStartShardId": start} if start else {}
        answer = streams.describe_stream(StreamArn=stream_arn, Limit=page, **after)
        return dict(answer["StreamDescription"])

    return all_pages(describe)


def all_pages(describe: Callable[[str | None], dict[str, Any]]) -> list[dict[str, Any]]:
    """The shards of every page `describe(start)` gives, from the first (start None) until
    one names no LastEvaluatedShardId."""
    shards: list[dict[str, Any]] = []
    start: str | None = None
    while True:
        description = describe(start)
        shards += description.get("Shards", [])
        start = description.get("LastEvaluatedShardId")
        if not start:
            return shards
