"""Create everything the stack stores into, idempotently: `python -m chirp.stack.bootstrap`.

Run by `chirp up` after the data servers pass their probes, and by the compose
and AWS providers the same way.
"""

from __future__ import annotations

import sys

from chirp.core.settings import get_settings
from chirp.stack import clients
from chirp.stack.schema import indices, sql, tables, topics


def main() -> int:
    settings = get_settings()
    with clients.postgres_connection(settings) as conn:
        print("sql migrations applied:", sql.migrate(conn) or "none")
    print(
        "dynamodb tables created:",
        tables.create_tables(clients.dynamodb_client(settings)) or "none",
    )
    admin = clients.kafka_admin(settings)
    print("kafka topics created:", topics.create_topics(admin, settings.kafka_partitions) or "none")
    print(
        "opensearch indices created:",
        indices.create_indices(clients.opensearch_client(settings)) or "none",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
