"""W3C trace context in and out of the places a tweet's journey crosses: a plain dict
(stored with the DynamoDB item the relay publishes from) and Kafka message headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_FIELDS = frozenset(_PROPAGATOR.fields)

Carrier = dict[str, str]
KafkaHeaders = list[tuple[str, str | bytes | None]]


def current_carrier(context: Context | None = None) -> Carrier:
    """The `traceparent` (and `tracestate`) of the current span; empty unless it is sampled,
    so an untraced request costs nothing downstream."""
    span = trace.get_current_span(context)
    if not span.get_span_context().trace_flags.sampled:
        return {}
    carrier: Carrier = {}
    _PROPAGATOR.inject(carrier, context=context)
    return carrier


def context_of(carrier: Mapping[str, str]) -> Context | None:
    """The remote parent a carrier names; None when it names none."""
    if not carrier.get("traceparent"):
        return None
    context = _PROPAGATOR.extract(dict(carrier))
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def to_headers(carrier: Mapping[str, str]) -> KafkaHeaders:
    return [(k, v.encode()) for k, v in carrier.items()]


def from_headers(headers: Iterable[tuple[str, str | bytes | None]] | None) -> Carrier:
    """The trace fields among a Kafka message's headers (None when it has none)."""
    return {
        k: v.decode(errors="replace") if isinstance(v, bytes) else v
        for k, v in headers or ()
        if k in _FIELDS and v is not None
    }
