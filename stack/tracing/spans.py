"""The spans of a tweet's journey, named by hop, each tagged with the tweet's id.

- the gateway's request span (FastAPI's own server span) is the root, tagged once
  the id is minted (`tag_tweet`);
- `span` times a step in the current trace (the DynamoDB put);
- `publishing` opens a producer span per relayed event whose stored item carried a
  trace context, parented from it, and gives the Kafka headers that carry them on;
- `consuming` opens a consumer span per traced message of a worker's batch, and
  `hop` a child of each traced tweet's consumer span around a write made for the
  batch (a Redis pipeline, a bulk request), so one batch write of many tweets gives
  a span in each traced tweet's journey.

Untraced work (no context, or one not sampled) makes no spans at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind

from chirp.stack.tracing.exporter import HOP, TWEET_ID
from chirp.stack.tracing.propagation import (
    Carrier,
    KafkaHeaders,
    context_of,
    current_carrier,
    to_headers,
)

_TRACER_NAME = "chirp"
_CONSUMED: ContextVar[Mapping[int, Context] | None] = ContextVar("chirp_consumed", default=None)


# Looked up once: `get_tracer` is costly per call. Until `install` sets the provider this
# is a proxy that makes no-op spans; then it turns into the real tracer by itself.
_TRACER = trace.get_tracer(_TRACER_NAME)


def tag_tweet(tweet_id: int) -> None:
    """Tag the current span (the request) as the gateway hop of the tweet it made."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes({TWEET_ID: str(tweet_id), HOP: "gateway"})


@contextmanager
def span(
    name: str, hop_name: str, tweet_id: int, attributes: Mapping[str, Any] | None = None
) -> Iterator[Span]:
    """A child of the current span, around one step of the tweet's journey."""
    with _TRACER.start_as_current_span(
        name, kind=SpanKind.CLIENT, attributes=_attributes(hop_name, tweet_id, attributes or {})
    ) as current:
        yield current


@contextmanager
def publishing(
    messages: Iterable[tuple[str, int | None, Carrier]],
) -> Iterator[list[KafkaHeaders | None]]:
    """A producer span for each (topic, tweet id, carrier) message whose carrier names a
    trace; yields each message's Kafka headers (None when untraced). The spans end when
    the block does: once Kafka acknowledged the batch, or with the error that said not."""
    with ExitStack() as stack:
        headers: list[KafkaHeaders | None] = []
        for topic, tweet_id, carrier in messages:
            parent = context_of(carrier) if carrier else None
            if parent is None or tweet_id is None:
                headers.append(None)
                continue
            extra = {"messaging.system": "kafka", "messaging.destination": topic}
            current = _enter(stack, f"publish {topic}", parent, SpanKind.PRODUCER, "publish",
                             tweet_id, extra)  # fmt: skip
            headers.append(to_headers(_carrier_of(current)))
        yield headers


@contextmanager
def consuming(group: str, traced: Iterable[tuple[str, int, Carrier]]) -> Iterator[None]:
    """Consumer spans for the traced (topic, tweet id, carrier) messages of one batch,
    open while the batch is handled; `hop` finds them by tweet id."""
    with ExitStack() as stack:
        contexts: dict[int, Context] = {}
        for topic, tweet_id, carrier in traced:
            parent = context_of(carrier)
            if parent is None or tweet_id in contexts:
                continue
            extra = {"messaging.consumer.group": group, "messaging.source": topic}
            current = _enter(stack, f"process {topic}", parent, SpanKind.CONSUMER, "consume",
                             tweet_id, extra)  # fmt: skip
            contexts[tweet_id] = trace.set_span_in_context(current)
        token = _CONSUMED.set(contexts)
        try:
            yield
        finally:
            _CONSUMED.reset(token)


@contextmanager
def hop(
    name: str,
    hop_name: str,
    tweet_ids: Iterable[int],
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[dict[int, Span]]:
    """A span in the journey of each traced tweet among `tweet_ids` of the batch being
    consumed, around one write made for them all; nothing when none is traced. Yields the
    spans by tweet id, for attributes only known once the write is done."""
    consumed = _CONSUMED.get()
    traced = [t for t in dict.fromkeys(tweet_ids) if t in consumed] if consumed else []
    if not consumed or not traced:
        yield {}
        return
    with ExitStack() as stack:
        yield {
            tweet_id: _enter(
                stack,
                name,
                consumed[tweet_id],
                SpanKind.CLIENT,
                hop_name,
                tweet_id,
                attributes or {},
            )
            for tweet_id in traced
        }


def _enter(
    stack: ExitStack,
    name: str,
    parent: Context,
    kind: SpanKind,
    hop_name: str,
    tweet_id: int,
    extra: Mapping[str, Any],
) -> Span:
    """A span under `parent` that ends, recording any error, when `stack` closes."""
    return stack.enter_context(
        _TRACER.start_as_current_span(
            name, context=parent, kind=kind, attributes=_attributes(hop_name, tweet_id, extra)
        )
    )


def _carrier_of(current: Span) -> Carrier:
    return current_carrier(trace.set_span_in_context(current))


def _attributes(hop_name: str, tweet_id: int, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {HOP: hop_name, TWEET_ID: str(tweet_id), **extra}
