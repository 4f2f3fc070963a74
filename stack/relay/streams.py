"""Follow the DynamoDB Streams of the streamed tables, checkpointing in PostgreSQL.

A shard's checkpoint moves only after Kafka acknowledged everything before it,
so a crash or a Kafka outage replays records (consumers are idempotent) but
never skips one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from psycopg_pool import ConnectionPool

from stack import events, tracing
from stack.relay.mapping import carrier_of, to_event
from stack.relay.publisher import Publisher

log = logging.getLogger(__name__)

_SHARD_REFRESH_S = 5.0


@dataclass
class _Shard:
    stream_arn: str
    table: str
    shard_id: str
    iterator: str | None = None
    finished: bool = False


class StreamFollower:
    """Reads every shard of every streamed table and publishes what it finds."""

    def __init__(
        self,
        dynamo: Any,
        streams: Any,
        pg: ConnectionPool,
        publisher: Publisher,
        tables: tuple[str, ...],
    ) -> None:
        self._dynamo = dynamo
        self._streams = streams
        self._pg = pg
        self._publisher = publisher
        self._tables = tables
        self._shards: dict[str, _Shard] = {}
        self._refreshed_at = 0.0

    def poll(self) -> int:
        """One pass over the open shards; returns how many events were published."""
        if time.monotonic() - self._refreshed_at > _SHARD_REFRESH_S:
            self._refresh_shards()
        published = 0
        for shard in list(self._shards.values()):
            if not shard.finished:
                published += self._poll_shard(shard)
        return published

    def _refresh_shards(self) -> None:
        done = self._finished_shards()
        for table in self._tables:
            arn = self._dynamo.describe_table(TableName=table)["Table"].get("LatestStreamArn")
            if arn is None:
                continue
            description = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]
            for raw in description["Shards"]:
                shard_id = raw["ShardId"]
                if shard_id not in self._shards:
                    self._shards[shard_id] = _Shard(
                        arn, table, shard_id, finished=(arn, shard_id) in done
                    )
        self._refreshed_at = time.monotonic()

    def _poll_shard(self, shard: _Shard) -> int:
        try:
            if shard.iterator is None:
                shard.iterator = self._iterator_from_checkpoint(shard)
            answer = self._streams.get_records(ShardIterator=shard.iterator, Limit=500)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                del self._shards[shard.shard_id]  # the table was dropped (chirp seed --reset)
                return 0
            if error.response["Error"]["Code"] in (
                "ExpiredIteratorException",
                "TrimmedDataAccessException",
            ):
                shard.iterator = None
                return 0
            raise
        records = answer.get("Records", [])
        if records:
            now_ms = int(time.time() * 1000)
            found = [(e, r) for r in records if (e := to_event(shard.table, r, now_ms)) is not None]
            self._publish(shard.table, found)  # raises NotDelivered: iterator stays put
            last = records[-1]["dynamodb"]["SequenceNumber"]
            self._checkpoint(shard, last, finished=False)
        next_iterator = answer.get("NextShardIterator")
        if next_iterator is None:
            shard.finished = True
            self._checkpoint(
                shard, records[-1]["dynamodb"]["SequenceNumber"] if records else "", True
            )
        shard.iterator = next_iterator
        return len(records)

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

    def _iterator_from_checkpoint(self, shard: _Shard) -> str:
        with self._pg.connection() as conn:
            row = conn.execute(
                "SELECT sequence_number FROM relay_checkpoints WHERE stream_arn = %s"
                " AND shard_id = %s",
                (shard.stream_arn, shard.shard_id),
            ).fetchone()
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": row[0]}
            if row and row[0]
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        return str(
            self._streams.get_shard_iterator(
                StreamArn=shard.stream_arn, ShardId=shard.shard_id, **position
            )["ShardIterator"]
        )

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
