"""Sampling: a share of new journeys, every one asked for with X-Chirp-Trace: 1, and
every span under a sampled parent."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from chirp.stack.tracing import FORCE_HEADER, ForcedOrRatio, ForceTracePropagator, context_of

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _tracer(ratio: float):
    return TracerProvider(sampler=ForcedOrRatio(ratio)).get_tracer("t")


def _sampled(span) -> bool:
    return span.get_span_context().trace_flags.sampled


def test_a_zero_ratio_samples_no_new_journey():
    with _tracer(0.0).start_as_current_span("request") as span:
        assert not _sampled(span)


def test_the_header_forces_a_journey_and_its_steps_to_be_sampled():
    forced = ForceTracePropagator().extract({FORCE_HEADER.lower(): "1"})
    tracer = _tracer(0.0)
    with (
        tracer.start_as_current_span("request", context=forced) as root,
        tracer.start_as_current_span("dynamodb.put") as step,
    ):
        assert _sampled(root) and _sampled(step)
        assert step.get_span_context().trace_id == root.get_span_context().trace_id


def test_any_other_header_value_forces_nothing():
    for value in ("0", "yes", ""):
        context = ForceTracePropagator().extract({FORCE_HEADER.lower(): value})
        with _tracer(0.0).start_as_current_span("request", context=context) as span:
            assert not _sampled(span), value


def test_a_forced_request_keeps_the_trace_its_client_started():
    carrier = {"traceparent": TRACEPARENT[:-2] + "00", FORCE_HEADER.lower(): "1"}
    context = ForceTracePropagator().extract(
        carrier, TraceContextTextMapPropagator().extract(carrier)
    )
    with _tracer(0.0).start_as_current_span("request", context=context) as span:
        assert _sampled(span)
        assert f"{span.get_span_context().trace_id:032x}" == TRACEPARENT[3:35]


def test_a_sampled_parent_is_followed_and_a_full_ratio_samples_everything():
    with _tracer(0.0).start_as_current_span(
        "consume", context=context_of({"traceparent": TRACEPARENT})
    ) as span:
        assert _sampled(span)
    with _tracer(1.0).start_as_current_span("request") as span:
        assert _sampled(span)
