"""Reading span files back and building a tweet's timeline (infra.local.traces)."""

from __future__ import annotations

import json

import pytest

from chirp.core.errors import TraceNotFound
from chirp.core.settings import Settings
from chirp.infra.provision.local import provider, traces

TWEET = 4242
TRACE = "0af7651916cd43dd8448eb211c80319c"
MS = 1_000_000
T0 = 1_800_000_000_000 * MS


def _span(span_id, parent_id, hop, name, service, start_ms, took_ms, tweet=TWEET, **attrs):
    return {
        "trace_id": TRACE,
        "span_id": span_id,
        "parent_id": parent_id,
        "name": name,
        "kind": "INTERNAL",
        "service": service,
        "start_ns": T0 + int(start_ms * MS),
        "end_ns": T0 + int((start_ms + took_ms) * MS),
        "status": "UNSET",
        "error": None,
        "attributes": {"chirp.hop": hop, "chirp.tweet_id": str(tweet), **attrs},
    }


JOURNEY = [
    # Written in the order processes would flush them: children first, out of order.
    _span("f2", "c1", "feed", "redis.feed_push", "fanout", 60, 2, **{"chirp.followers": 300}),
    _span("f1", "c1", "feed", "redis.feed_push", "fanout", 55, 3, **{"chirp.feed": "author"}),
    _span("f3", "c1", "feed", "redis.feed_push", "fanout", 63, 4, **{"chirp.followers": 200}),
    _span("c1", "p1", "consume", "process tweet_created", "fanout", 50, 20),
    _span("i1", "c2", "index", "opensearch.bulk", "search-indexer", 58, 10),
    _span("c2", "p1", "consume", "process tweet_created", "search-indexer", 57, 12),
    _span("p1", "s1", "publish", "publish tweet_created", "relay", 40, 2),
    _span("s1", "g1", "store", "dynamodb.put_tweet", "gateway-1", 5, 10),
    _span("g1", None, "gateway", "POST /api/v1/tweets", "gateway-1", 0, 20),
]


def _timeline(spans=JOURNEY):
    parsed = [traces.Span.parse(json.dumps(s)) for s in spans]
    return traces.build_timeline(TWEET, [s for s in parsed if s is not None])


def test_hops_come_parents_first_with_offsets_from_the_request():
    timeline = _timeline()
    order = ["g1", "s1", "p1", "c1", "f1", "f2", "f3", "c2", "i1"]
    assert [h.span_id for h in timeline.hops] == order
    assert [h.depth for h in timeline.hops] == [0, 1, 2, 3, 4, 4, 4, 3, 4]
    publish = timeline.hops[2]
    assert (publish.start_ms, publish.duration_ms, publish.service) == (40, 2, "relay")
    assert publish.parent_id == "s1"
    assert timeline.hops[0].parent_id is None


def test_the_last_feed_write_says_when_the_last_follower_had_it():
    timeline = _timeline()
    assert timeline.feeds_done_ms == 67  # the third push: 63 + 4
    assert timeline.followers_reached == 500
    assert timeline.complete


def test_a_journey_without_its_index_hop_is_not_complete_yet():
    partial = _timeline([s for s in JOURNEY if s["attributes"]["chirp.hop"] != "index"])
    assert not partial.complete
    assert partial.feeds_done_ms == 67


def test_a_retweet_is_complete_without_indexing():
    retweet = [
        {**s, "attributes": {**s["attributes"], "messaging.destination": "retweet_created"}}
        if s["span_id"] == "p1"
        else s
        for s in JOURNEY
        if s["attributes"]["chirp.hop"] != "index"
    ]
    assert _timeline(retweet).complete


def test_a_journey_whose_request_span_is_missing_starts_at_its_earliest_span():
    later = _timeline([s for s in JOURNEY if s["span_id"] not in ("g1", "s1")])
    assert later.hops[0].span_id == "p1" and later.hops[0].start_ms == 0
    assert later.feeds_done_ms == 27
    assert not later.complete  # the request's spans may still be on their way to the file


def test_no_spans_is_no_timeline():
    assert traces.build_timeline(TWEET, []) is None


def _write(path, spans, tail=b""):
    path.write_bytes(b"".join(json.dumps(s).encode() + b"\n" for s in spans) + tail)


def test_the_reader_finds_one_tweets_spans_across_files_and_skips_torn_lines(tmp_path):
    other = _span("x1", None, "gateway", "POST /api/v1/tweets", "gateway-2", 0, 1, tweet=7)
    _write(tmp_path / "gateway-1.10.jsonl", [*JOURNEY[7:], other], tail=b'{"trace_id": "0af7')
    _write(tmp_path / "fanout.11.1.jsonl", JOURNEY[:4])
    _write(tmp_path / "relay.12.jsonl", [JOURNEY[6]])
    with (tmp_path / "relay.12.jsonl").open("ab") as relay:
        relay.write(b"not json but " + traces.tweet_needle(TWEET) + b"\n")

    found = traces.SpanScanner(TWEET).scan(tmp_path)

    assert sorted(s.span_id for s in found) == ["c1", "f1", "f2", "f3", "g1", "p1", "s1"]
    assert traces.SpanScanner(7).scan(tmp_path)[0].service == "gateway-2"


def test_a_scanner_reads_on_from_where_it_stopped_and_across_a_rotation(tmp_path):
    path = tmp_path / "fanout.5.jsonl"
    line = [json.dumps(s).encode() + b"\n" for s in JOURNEY]
    path.write_bytes(line[0] + line[1][:30])  # the second line is still being written
    scanner = traces.SpanScanner(TWEET)
    assert [s.span_id for s in scanner.scan(tmp_path)] == ["f2"]

    with path.open("ab") as grown:
        grown.write(line[1][30:] + line[2])
    assert sorted(s.span_id for s in scanner.scan(tmp_path)) == ["f1", "f2", "f3"]

    path.replace(tmp_path / "fanout.5.1.jsonl")  # rotation: a new, shorter current file
    path.write_bytes(line[3])
    assert sorted(s.span_id for s in scanner.scan(tmp_path)) == ["c1", "f1", "f2", "f3"]
    assert len(scanner.scan(tmp_path)) == 4  # scanning again finds nothing twice


def test_a_needle_does_not_match_a_longer_id(tmp_path):
    longer = _span("g1", None, "gateway", "POST", "gateway-1", 0, 1, tweet=42421)
    _write(tmp_path / "a.1.jsonl", [longer])
    assert traces.SpanScanner(TWEET).scan(tmp_path) == []


def test_no_span_files_is_one_line_saying_to_start_the_stack(tmp_path):
    settings = Settings(run_dir=tmp_path)
    with pytest.raises(TraceNotFound, match=r"no span files .*is the stack up"):
        traces.wait_for_timeline(settings, TWEET)


def test_an_unknown_tweet_is_one_line_naming_sampling(tmp_path):
    settings = Settings(run_dir=tmp_path)
    settings.traces_dir.mkdir()
    _write(settings.traces_dir / "relay.1.jsonl", [JOURNEY[6]])
    with pytest.raises(TraceNotFound, match="not sampled") as raised:
        traces.wait_for_timeline(settings, 99)
    assert "\n" not in str(raised.value)
    found = traces.wait_for_timeline(settings, TWEET)
    assert [h.hop for h in found.hops] == ["publish"]


def test_traces_live_in_the_run_dir_and_down_purge_deletes_them(tmp_path):
    settings = Settings(run_dir=tmp_path / ".chirp")
    provider.claim_run_dir(settings)  # as `chirp up` does first
    settings.traces_dir.mkdir(parents=True)
    _write(settings.traces_dir / "relay.1.jsonl", [JOURNEY[6]])

    assert settings.traces_dir.resolve() in provider.purge_targets(settings)
    provider.purge(settings)
    assert not settings.traces_dir.exists()
