#!/bin/bash
# Run once by the postgres image when it creates the primary's cluster: the role the
# postgres-replica service takes its base backup and streams WAL with, with the
# stack's password (the image's POSTGRES_PASSWORD).
set -euo pipefail
psql -v ON_ERROR_STOP=1 -v password="$POSTGRES_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
