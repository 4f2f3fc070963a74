-- Run once by the postgres image when it creates the primary's cluster: the role the
-- postgres-replica service takes its base backup and streams WAL with.
CREATE ROLE replicator WITH REPLICATION LOGIN;
