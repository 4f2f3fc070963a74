"""Tracing of a tweet's journey: gateway → DynamoDB → relay → Kafka → workers → stores.

OpenTelemetry spans, W3C trace context across processes (stored with the tweet's
DynamoDB item for the relay, then in Kafka message headers), kept as JSON lines
per process under the run directory, where `chirp trace` reads them.
"""

from chirp.stack.tracing.exporter import HOP, TWEET_ID, JsonLinesExporter, span_record, tweet_needle
from chirp.stack.tracing.propagation import (
    Carrier,
    KafkaHeaders,
    context_of,
    current_carrier,
    from_headers,
    to_headers,
)
from chirp.stack.tracing.sampling import FORCE_HEADER, ForcedOrRatio, ForceTracePropagator
from chirp.stack.tracing.setup import install
from chirp.stack.tracing.spans import consuming, hop, publishing, span, tag_tweet

__all__ = [
    "FORCE_HEADER",
    "HOP",
    "TWEET_ID",
    "Carrier",
    "ForceTracePropagator",
    "ForcedOrRatio",
    "JsonLinesExporter",
    "KafkaHeaders",
    "consuming",
    "context_of",
    "current_carrier",
    "from_headers",
    "hop",
    "install",
    "publishing",
    "span",
    "span_record",
    "tag_tweet",
    "to_headers",
    "tweet_needle",
]
