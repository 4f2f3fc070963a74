-- Per-minute activity counts from the analytics worker (docs/data-model.md).
CREATE TABLE analytics_minutes (
    minute       TIMESTAMPTZ PRIMARY KEY,
    tweets       BIGINT NOT NULL DEFAULT 0,
    retweets     BIGINT NOT NULL DEFAULT 0,
    deletes      BIGINT NOT NULL DEFAULT 0,
    likes        BIGINT NOT NULL DEFAULT 0,
    follows      BIGINT NOT NULL DEFAULT 0,
    unfollows    BIGINT NOT NULL DEFAULT 0,
    signups      BIGINT NOT NULL DEFAULT 0,
    active_users BIGINT NOT NULL DEFAULT 0,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What was already counted, so a redelivered event counts nothing: one row per
-- (minute, kind, event identity); kind 'active' rows hold the users seen that minute.
-- Pruned after a retention longer than Kafka's, past which no redelivery comes.
CREATE TABLE analytics_seen (
    minute TIMESTAMPTZ NOT NULL,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    PRIMARY KEY (minute, kind, key)
);
