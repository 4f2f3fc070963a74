"""Install tracing in one stack process: sampler, batch processor, span file."""

from __future__ import annotations

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from chirp.core.settings import Settings
from chirp.stack.tracing.exporter import SUFFIX, JsonLinesExporter
from chirp.stack.tracing.sampling import ForcedOrRatio, install_force_header

_EXPORT_EVERY_MS = 500
"""Spans reach the file within this long, so `chirp trace` sees a fresh tweet quickly."""


def install(settings: Settings, service: str) -> TracerProvider:
    """Make this process trace a `trace_sample_ratio` share of new journeys, every one
    asked for with `X-Chirp-Trace: 1`, and every span of a journey sampled upstream, into
    its own file under `settings.traces_dir`. The provider flushes and closes the file at
    exit."""
    exporter = JsonLinesExporter(
        settings.traces_dir.resolve() / f"{service}.{os.getpid()}{SUFFIX}",
        service,
        settings.trace_file_max_mb * 1024 * 1024,
    )
    provider = TracerProvider(
        sampler=ForcedOrRatio(settings.trace_sample_ratio),
        resource=Resource.create({"service.name": service}),
    )
    provider.add_span_processor(
        BatchSpanProcessor(exporter, schedule_delay_millis=_EXPORT_EVERY_MS)
    )
    trace.set_tracer_provider(provider)
    install_force_header()
    return provider
