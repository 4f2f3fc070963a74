"""Kafka topics of the stack and their idempotent creation."""

from __future__ import annotations

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

TWEET_CREATED = "tweet_created"
TWEET_DELETED = "tweet_deleted"
TWEET_EDITED = "tweet_edited"
LIKE_ADDED = "like_added"
RETWEET_CREATED = "retweet_created"
FOLLOW_CHANGED = "follow_changed"
USER_CREATED = "user_created"

EVENT_TOPICS = (
    TWEET_CREATED,
    TWEET_DELETED,
    TWEET_EDITED,
    LIKE_ADDED,
    RETWEET_CREATED,
    FOLLOW_CHANGED,
    USER_CREATED,
)
# What each consumer group reads: its worker subscribes to these, and the relay's lag
# monitor counts its lag over these.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "fanout": (TWEET_CREATED, RETWEET_CREATED, TWEET_DELETED, FOLLOW_CHANGED),
    "search-indexer": (TWEET_CREATED, TWEET_EDITED, TWEET_DELETED, USER_CREATED),
    "trending": (TWEET_CREATED, TWEET_EDITED, TWEET_DELETED),
    "notify": (TWEET_CREATED, TWEET_EDITED, FOLLOW_CHANGED, LIKE_ADDED, RETWEET_CREATED),
    "edge-purger": (TWEET_EDITED, TWEET_DELETED),
    "analytics": (
        TWEET_CREATED,
        TWEET_EDITED,
        TWEET_DELETED,
        RETWEET_CREATED,
        LIKE_ADDED,
        FOLLOW_CHANGED,
        USER_CREATED,
    ),
}
CONSUMER_GROUPS = tuple(SUBSCRIPTIONS)
DLQ_SUFFIX = ".dlq"


def dlq_topic(group: str) -> str:
    return f"{group}{DLQ_SUFFIX}"


def all_topics() -> list[str]:
    return [*EVENT_TOPICS, *(dlq_topic(g) for g in CONSUMER_GROUPS)]


def create_topics(admin: AdminClient, partitions: int) -> list[str]:
    """Create every missing topic with `partitions` partitions; returns those created."""
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [t for t in all_topics() if t not in existing]
    if not missing:
        return []
    # The broker's default replication: 1 on the one local broker, 3 on MSK, where a fixed
    # 1 would be under min.insync.replicas and every acks=all write would be refused.
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=partitions, replication_factor=-1) for t in missing],
        operation_timeout=30,
    )
    created = []
    for topic, future in futures.items():
        try:
            future.result()
            created.append(topic)
        except KafkaException as error:
            if error.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    return created
