"""Kafka consumer workers: a shared runtime and one handler per consumer group."""
