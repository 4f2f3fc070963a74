"""Every SQL statement about analytics; the only module that knows its tables.

`count` records event identities in `analytics_seen` and adds to the per-minute
counts only what was new, in one transaction: a redelivered batch adds nothing,
and a crash mid-way leaves neither half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

COLUMNS = {
    "tweet": "tweets",
    "retweet": "retweets",
    "delete": "deletes",
    "like": "likes",
    "follow": "follows",
    "unfollow": "unfollows",
    "signup": "signups",
    "active": "active_users",
}
"""Kind of a seen row → the count it adds to."""

SEEN_RETENTION = timedelta(days=8)
"""Longer than Kafka's default 7-day retention, past which nothing is redelivered."""


@dataclass(frozen=True, order=True)
class Seen:
    """One countable thing: an event (kind, its identity) or an active user (`active`, id)."""

    minute: datetime
    kind: str
    key: str


@dataclass(frozen=True)
class MinuteCounts:
    minute: datetime
    tweets: int
    retweets: int
    deletes: int
    likes: int
    follows: int
    unfollows: int
    signups: int
    active_users: int


_MARK_SEEN = """
INSERT INTO analytics_seen (minute, kind, key)
SELECT * FROM unnest(%s::timestamptz[], %s::text[], %s::text[])
ON CONFLICT DO NOTHING
RETURNING minute, kind
"""
_NAMES = list(COLUMNS.values())
_ADD = (
    f"INSERT INTO analytics_minutes (minute, {', '.join(_NAMES)})"
    f" VALUES (%s, {', '.join(['%s'] * len(_NAMES))})"
    " ON CONFLICT (minute) DO UPDATE SET "
    + ", ".join(f"{c} = analytics_minutes.{c} + EXCLUDED.{c}" for c in _NAMES)
    + ", updated_at = now()"
)


def count(conn: psycopg.Connection, seen: Iterable[Seen]) -> int:
    """Add to the minutes' counts what was not counted before; how many things were new."""
    rows = sorted(set(seen))  # one order for every worker, so concurrent batches never deadlock
    if not rows:
        return 0
    with conn.transaction():
        new = conn.execute(
            _MARK_SEEN,
            ([r.minute for r in rows], [r.kind for r in rows], [r.key for r in rows]),
        ).fetchall()
        per_minute: dict[datetime, Counter[str]] = {}
        for minute, kind in new:
            per_minute.setdefault(minute, Counter())[kind] += 1
        with conn.cursor() as cursor:
            cursor.executemany(
                _ADD,
                [
                    (minute, *(kinds[k] for k in COLUMNS))
                    for minute, kinds in sorted(per_minute.items())
                ],
            )
    return len(new)


def prune_seen(conn: psycopg.Connection, now: datetime) -> int:
    """Forget identities older than SEEN_RETENTION; how many rows went."""
    return conn.execute(
        "DELETE FROM analytics_seen WHERE minute < %s", (now - SEEN_RETENTION,)
    ).rowcount


def minutes(conn: psycopg.Connection, since: datetime, until: datetime) -> list[MinuteCounts]:
    """The counted minutes from `since` up to, not including, `until`, oldest first."""
    rows = conn.execute(
        f"SELECT minute, {', '.join(_NAMES)} FROM analytics_minutes"
        " WHERE minute >= %s AND minute < %s ORDER BY minute",
        (since, until),
    ).fetchall()
    return [MinuteCounts(*row) for row in rows]
