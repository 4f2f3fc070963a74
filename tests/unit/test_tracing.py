"""Tracing in the stack's processes: context through a dict and Kafka headers, the span
chain of a tweet's journey, and the span file with its rotation."""

from __future__ import annotations

import itertools
import json

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

from chirp.stack import tracing
from chirp.stack.tracing.exporter import JsonLinesExporter, span_record

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture(scope="session")
def provider() -> TracerProvider:
    """The process-wide provider (OpenTelemetry allows setting it once), sampling all."""
    installed = TracerProvider()
    trace.set_tracer_provider(installed)
    return trace.get_tracer_provider()  # type: ignore[return-value]


@pytest.fixture
def finished(provider) -> InMemorySpanExporter:
    """The spans finished during one test."""
    memory = InMemorySpanExporter()
    processor = SimpleSpanProcessor(memory)
    provider.add_span_processor(processor)
    yield memory
    processor.shutdown()


def test_a_carrier_round_trips_through_a_context_and_kafka_headers():
    context = tracing.context_of({"traceparent": TRACEPARENT})
    assert context is not None
    assert tracing.current_carrier(context) == {"traceparent": TRACEPARENT}
    headers = tracing.to_headers({"traceparent": TRACEPARENT})
    assert headers == [("traceparent", TRACEPARENT.encode())]
    assert tracing.from_headers([*headers, ("other", b"x")]) == {"traceparent": TRACEPARENT}


def test_no_carrier_and_a_broken_one_name_no_parent():
    assert tracing.context_of({}) is None
    assert tracing.context_of({"traceparent": "not-a-traceparent"}) is None
    assert tracing.from_headers(None) == {}


def test_an_unsampled_request_hands_nothing_downstream():
    unsampled = TRACEPARENT[:-2] + "00"
    context = tracing.context_of({"traceparent": unsampled})
    assert tracing.current_carrier(context) == {}
    tracer = TracerProvider(sampler=ParentBased(ALWAYS_OFF)).get_tracer("t")
    with tracer.start_as_current_span("root"):
        assert tracing.current_carrier() == {}


def test_a_journey_chains_request_store_publish_consume_and_writes(finished):
    with trace.get_tracer("test").start_as_current_span("POST /api/v1/tweets"):
        tracing.tag_tweet(42)
        with tracing.span("dynamodb.put_tweet", "store", 42):
            stored = tracing.current_carrier()
    assert int(stored["traceparent"].rsplit("-", 1)[1], 16) & 1  # sampled

    # The relay: one traced event and one without a context, in one batch.
    with tracing.publishing([("tweet_created", 42, stored), ("tweet_created", 43, {})]) as headers:
        pass
    assert headers[1] is None
    sent = tracing.from_headers(headers[0])

    # A worker's batch of both tweets, one write for the batch.
    with (
        tracing.consuming("fanout", [("tweet_created", 42, sent)]),
        tracing.hop("redis.feed_push", "feed", [42, 43], {"chirp.followers": 7}),
    ):
        pass

    spans = {s.name: s for s in finished.get_finished_spans()}
    chain = [
        "POST /api/v1/tweets",
        "dynamodb.put_tweet",
        "publish tweet_created",
        "process tweet_created",
        "redis.feed_push",
    ]
    assert sorted(spans) == sorted(chain)
    for parent, child in itertools.pairwise(chain):
        assert spans[child].parent.span_id == spans[parent].context.span_id, child
    trace_ids = {s.context.trace_id for s in spans.values()}
    assert len(trace_ids) == 1
    assert all(s.attributes[tracing.TWEET_ID] == "42" for s in spans.values())
    assert spans["redis.feed_push"].attributes["chirp.followers"] == 7
    assert spans["redis.feed_push"].attributes[tracing.HOP] == "feed"


def test_writes_outside_a_traced_batch_make_no_spans(finished):
    with tracing.hop("redis.feed_push", "feed", [1, 2, 3]):
        pass
    with tracing.consuming("fanout", []), tracing.hop("opensearch.bulk", "index", [1]):
        pass
    assert finished.get_finished_spans() == ()


def test_a_failed_publish_ends_its_span_with_the_error(finished):
    carrier = {"traceparent": TRACEPARENT}
    with (
        pytest.raises(RuntimeError),
        tracing.publishing([("tweet_created", 5, carrier)]),
    ):
        raise RuntimeError("kafka is down")
    (span,) = finished.get_finished_spans()
    assert span.status.status_code is trace.StatusCode.ERROR
    assert span.parent.span_id == int(TRACEPARENT.split("-")[2], 16)


def _spans(finished, count: int) -> list:
    for n in range(count):
        with tracing.span(f"s{n}", "store", 1000 + n):
            pass
    return list(finished.get_finished_spans())


def test_the_span_file_holds_one_json_line_per_span(finished, tmp_path):
    spans = _spans(finished, 3)
    exporter = JsonLinesExporter(tmp_path / "fanout.1.jsonl", "fanout", max_bytes=1 << 20)
    exporter.export(spans)
    exporter.shutdown()
    lines = (tmp_path / "fanout.1.jsonl").read_bytes().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["name"] for r in records] == ["s0", "s1", "s2"]
    assert records[0]["service"] == "fanout"
    assert records[0]["attributes"][tracing.TWEET_ID] == "1000"
    assert records[0]["end_ns"] >= records[0]["start_ns"]
    assert tracing.tweet_needle(1001) in lines[1] and tracing.tweet_needle(1001) not in lines[0]


def test_the_span_file_rotates_past_its_size_keeping_one_older_file(finished, tmp_path):
    spans = _spans(finished, 4)
    one_line = len(json.dumps(span_record(spans[0], "relay"), separators=(",", ":"))) + 1
    path = tmp_path / "relay.9.jsonl"
    exporter = JsonLinesExporter(path, "relay", max_bytes=one_line * 2 + 10)
    for span in spans:
        exporter.export([span])
    exporter.shutdown()

    current = [json.loads(x)["name"] for x in path.read_bytes().splitlines()]
    older = [json.loads(x)["name"] for x in exporter.rotated_path.read_bytes().splitlines()]
    assert exporter.rotated_path.name == "relay.9.1.jsonl"
    assert (older, current) == (["s0", "s1"], ["s2", "s3"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["relay.9.1.jsonl", "relay.9.jsonl"]
