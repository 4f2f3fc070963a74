"""Which journeys are traced: a `trace_sample_ratio` share, and every one a client asks for.

An API request sent with `X-Chirp-Trace: 1` is traced end to end, whatever the ratio,
so `chirp trace` works on a stack that samples 1 % without a restart. The header is read
by a propagator because the gateway's server span (FastAPI's own) starts before any
middleware runs; the propagator marks the context the span starts from, and the sampler
samples a marked context. Downstream (relay, Kafka headers, workers) the journey follows
its sampled parent as any other does.

Honouring the header for anyone is safe: a forced trace costs a few span lines, and each
process's span file rotates at `trace_file_max_mb`.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context, create_key, get_current, get_value, set_value
from opentelemetry.propagate import set_global_textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

FORCE_HEADER = "X-Chirp-Trace"
"""Send it with the value 1 to have the request's whole journey traced."""
_FORCED = create_key("chirp.trace.forced")


class ForceTracePropagator(TextMapPropagator):
    """Marks the extracted context when the carrier holds `X-Chirp-Trace: 1`."""

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        context = get_current() if context is None else context
        values = getter.get(carrier, FORCE_HEADER.lower()) or getter.get(carrier, FORCE_HEADER)
        if values and values[0].strip() == "1":
            return set_value(_FORCED, True, context)
        return context

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        """Nothing to pass on: downstream hops follow the sampled parent."""

    @property
    def fields(self) -> set[str]:
        return set()


class ForcedOrRatio(Sampler):
    """Samples a context the propagator marked; otherwise follows the parent, and traces
    a `ratio` share of new journeys (by trace id)."""

    def __init__(self, ratio: float) -> None:
        self._default = ParentBased(TraceIdRatioBased(ratio))

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if parent_context is not None and get_value(_FORCED, parent_context):
            parent = trace.get_current_span(parent_context).get_span_context()
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, parent.trace_state)
        return self._default.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"ForcedOrRatio({self._default.get_description()})"


def install_force_header() -> None:
    """Make the process's propagators OpenTelemetry's defaults (W3C trace context and
    baggage) plus the header's."""
    set_global_textmap(
        CompositePropagator(
            [TraceContextTextMapPropagator(), W3CBaggagePropagator(), ForceTracePropagator()]
        )
    )
