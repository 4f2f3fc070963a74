-- Follow changes leave through a transactional outbox: the row is written in the same
-- transaction as the follow, and the relay publishes then deletes it.
CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    topic      TEXT NOT NULL,
    key        TEXT NOT NULL,
    payload    BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Where the relay got to in each DynamoDB stream shard, saved after Kafka acknowledged.
CREATE TABLE relay_checkpoints (
    stream_arn      TEXT NOT NULL,
    shard_id        TEXT NOT NULL,
    sequence_number TEXT NOT NULL,
    finished        BOOLEAN NOT NULL DEFAULT false,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_arn, shard_id)
);

CREATE INDEX users_last_active_idx ON users (last_active_at);
