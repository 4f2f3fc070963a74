"""Every SQL statement about users and follows; the only module that knows the tables.

Follow and unfollow write their `follow_changed` event to the outbox in the same
transaction, so the event leaves exactly when the change commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.errors import UniqueViolation

from chirp.stack.events import FollowChanged, UserCreated


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    follower_count: int
    following_count: int
    created_at: datetime


_USER_COLUMNS = "id, username, display_name, follower_count, following_count, created_at"


class UsernameTaken(Exception):
    pass


def create_user(
    conn: psycopg.Connection, user_id: int, username: str, display_name: str, token_hash: str
) -> UserRow:
    """Insert the user and, in the same transaction, its `user_created` event."""
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO users (id, username, display_name, token_hash)"
                f" VALUES (%s, %s, %s, %s) RETURNING {_USER_COLUMNS}",
                (user_id, username.lower(), display_name, token_hash),
            ).fetchone()
            assert row is not None
            user = UserRow(*row)
            _enqueue(
                conn,
                UserCreated(
                    at_ms=int(user.created_at.timestamp() * 1000),
                    user_id=user.id,
                    username=user.username,
                    display_name=user.display_name,
                ),
            )
    except UniqueViolation as error:
        raise UsernameTaken(username) from error
    return user


def _enqueue(conn: psycopg.Connection, event: FollowChanged | UserCreated) -> None:
    """Put `event` in the outbox; call inside the transaction that makes the change."""
    conn.execute(
        "INSERT INTO outbox (topic, key, payload) VALUES (%s, %s, %s)",
        (event.topic, event.key, event.encode()),
    )


def get_user(conn: psycopg.Connection, user_id: int) -> UserRow | None:
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,)).fetchone()
    return UserRow(*row) if row else None


def get_users(conn: psycopg.Connection, user_ids: Iterable[int]) -> dict[int, UserRow]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ANY(%s)", (ids,)).fetchall()
    return {row[0]: UserRow(*row) for row in rows}


def ids_for_usernames(conn: psycopg.Connection, usernames: Iterable[str]) -> dict[str, int]:
    names = [n.lower() for n in set(usernames)]
    if not names:
        return {}
    rows = conn.execute("SELECT username, id FROM users WHERE username = ANY(%s)", (names,))
    return dict(rows.fetchall())


def set_follow(
    conn: psycopg.Connection, follower_id: int, followee_id: int, following: bool, at_ms: int
) -> bool:
    """Follow or unfollow; True when something changed. Counts and outbox move with it."""
    with conn.transaction():
        if following:
            changed = conn.execute(
                "INSERT INTO follows (follower_id, followee_id) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                (follower_id, followee_id),
            ).rowcount
        else:
            changed = conn.execute(
                "DELETE FROM follows WHERE follower_id = %s AND followee_id = %s",
                (follower_id, followee_id),
            ).rowcount
        if not changed:
            return False
        step = 1 if following else -1
        conn.execute(
            "UPDATE users SET following_count = following_count + %s WHERE id = %s",
            (step, follower_id),
        )
        conn.execute(
            "UPDATE users SET follower_count = follower_count + %s WHERE id = %s",
            (step, followee_id),
        )
        event = FollowChanged(
            at_ms=at_ms, user_id=follower_id, followee_id=followee_id, following=following
        )
        _enqueue(conn, event)
    return True


def page_of_follows(
    conn: psycopg.Connection, user_id: int, direction: str, after: int | None, limit: int
) -> list[int]:
    """Follower or followee ids of `user_id` in id order, after the cursor id."""
    mine, theirs = (
        ("followee_id", "follower_id")
        if direction == "followers"
        else ("follower_id", "followee_id")
    )
    rows = conn.execute(
        f"SELECT {theirs} FROM follows WHERE {mine} = %s AND {theirs} > %s"
        f" ORDER BY {theirs} LIMIT %s",
        (user_id, after if after is not None else -1, limit),
    ).fetchall()
    return [r[0] for r in rows]


def follower_ids(
    conn: psycopg.Connection, user_id: int, active_since: datetime | None = None
) -> Iterator[list[int]]:
    """Every follower of `user_id` (only those active since `active_since` when given),
    in chunks, with a server-side cursor so a large audience is never held at once."""
    for chunk in follower_pairs(conn, [user_id], active_since):
        yield [follower for _, follower in chunk]


def follower_pairs(
    conn: psycopg.Connection, user_ids: list[int], active_since: datetime | None = None
) -> Iterator[list[tuple[int, int]]]:
    """(followee, follower) pairs of every follower of `user_ids` (only those active since
    `active_since` when given), in chunks, with one server-side cursor for them all."""
    query = "SELECT f.followee_id, f.follower_id FROM follows f"
    params: tuple[object, ...] = (user_ids,)
    if active_since is not None:
        query += " JOIN users u ON u.id = f.follower_id WHERE f.followee_id = ANY(%s)"
        query += " AND u.last_active_at >= %s"
        params = (user_ids, active_since)
    else:
        query += " WHERE f.followee_id = ANY(%s)"
    with conn.transaction(), conn.cursor(name="follower_pairs") as cursor:
        cursor.itersize = 5000
        cursor.execute(query, params)
        while chunk := cursor.fetchmany(5000):
            yield [(r[0], r[1]) for r in chunk]


def followee_ids(conn: psycopg.Connection, user_id: int, limit: int | None = None) -> list[int]:
    """Whom `user_id` follows; with `limit`, only the most recently followed that many."""
    if limit is None:
        rows = conn.execute("SELECT followee_id FROM follows WHERE follower_id = %s", (user_id,))
    else:
        rows = conn.execute(
            "SELECT followee_id FROM follows WHERE follower_id = %s"
            " ORDER BY created_at DESC, followee_id LIMIT %s",
            (user_id, limit),
        )
    return [r[0] for r in rows.fetchall()]


def celebrity_followees(conn: psycopg.Connection, user_id: int, threshold: int) -> list[int]:
    """Followees of `user_id` whose tweets are pulled on read, not pushed."""
    rows = conn.execute(
        "SELECT u.id FROM follows f JOIN users u ON u.id = f.followee_id"
        " WHERE f.follower_id = %s AND u.follower_count > %s",
        (user_id, threshold),
    )
    return [r[0] for r in rows.fetchall()]


def is_following(conn: psycopg.Connection, follower_id: int, followee_id: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM follows WHERE follower_id = %s AND followee_id = %s",
        (follower_id, followee_id),
    ).fetchone()
    return row is not None


def token_owner(conn: psycopg.Connection, token_hash: str) -> tuple[int, datetime] | None:
    """The user holding the token with this hash, and when it was issued."""
    row = conn.execute(
        "SELECT id, token_issued_at FROM users WHERE token_hash = %s", (token_hash,)
    ).fetchone()
    return None if row is None else (int(row[0]), row[1])


def replace_token(
    conn: psycopg.Connection, user_id: int, old_hash: str, new_hash: str
) -> datetime | None:
    """Swap the user's token for a new one, if `old_hash` is still its token; returns the
    new token's time of issue (None when another rotation got there first)."""
    row = conn.execute(
        "UPDATE users SET token_hash = %s, token_issued_at = now()"
        " WHERE id = %s AND token_hash = %s RETURNING token_issued_at",
        (new_hash, user_id, old_hash),
    ).fetchone()
    return None if row is None else row[0]


def touch_last_active(conn: psycopg.Connection, user_id: int) -> None:
    conn.execute("UPDATE users SET last_active_at = now() WHERE id = %s", (user_id,))
