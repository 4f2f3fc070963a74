"""Drain PostgreSQL's transactional outbox into Kafka, oldest first."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from chirp.stack.relay.publisher import Publisher

BATCH = 500
"""Rows published per transaction; a drain that moved this many has more waiting."""


def drain_once(pg: ConnectionPool, publisher: Publisher) -> int:
    """Publish and delete up to one batch of outbox rows; returns how many.

    The rows stay locked until Kafka acknowledged them, and are deleted in the same
    transaction, so a failure leaves them to be published again, never lost.
    """
    with pg.connection() as conn, conn.transaction():
        rows = conn.execute(
            "SELECT id, topic, key, payload FROM outbox ORDER BY id LIMIT %s"
            " FOR UPDATE SKIP LOCKED",
            (BATCH,),
        ).fetchall()
        if not rows:
            return 0
        publisher.publish([(topic, key, bytes(payload)) for _, topic, key, payload in rows])
        conn.execute("DELETE FROM outbox WHERE id = ANY(%s)", ([r[0] for r in rows],))
    return len(rows)
