"""The recorder: outcomes apart, latency of successes only, mergeable across processes."""

from __future__ import annotations

from loadtests.latency import percentiles
from loadtests.recorder import Outcome, Recorder, bucket_seconds


def fill(recorder, start=1000.0):
    recorder.record("GET /feed", Outcome.ok, 10.0, when=start)
    recorder.record("GET /feed", Outcome.ok, 20.0, late_ms=100.0, when=start + 0.5)
    recorder.record("GET /feed", Outcome.rate_limited, 1.0, when=start + 1.2)
    recorder.record("POST /tweets", Outcome.error, 5.0, when=start + 1.5, error_kind="HTTP 500")


def test_counts_outcomes_apart_and_latency_only_for_successes():
    recorder = Recorder()
    fill(recorder)
    feed = recorder.endpoints["GET /feed"]
    assert feed.counts.as_dict() == {"requests": 3, "ok": 2, "errors": 0, "rate_limited": 1}
    service, corrected = percentiles(feed.service), percentiles(feed.corrected)
    assert service is not None and corrected is not None
    assert service.count == 2 and round(service.max) == 20
    assert round(corrected.max) == 120  # late start charged to the corrected figure
    assert recorder.endpoints["POST /tweets"].error_kinds == {"HTTP 500": 1}
    assert recorder.totals().as_dict() == {"requests": 4, "ok": 2, "errors": 1, "rate_limited": 1}


def test_timeline_buckets_by_wall_clock_second():
    recorder = Recorder(bucket_s=1.0)
    fill(recorder)
    assert sorted(recorder.timeline) == [
        (1000, "GET /feed"),
        (1001, "GET /feed"),
        (1001, "POST /tweets"),
    ]


def test_drain_and_merge_reproduce_the_same_figures():
    direct, worker_a, worker_b, master = Recorder(), Recorder(), Recorder(), Recorder()
    fill(direct)
    fill(direct, start=2000.0)
    fill(worker_a)
    fill(worker_b, start=2000.0)
    master.merge(worker_a.drain())
    master.merge(worker_b.drain())
    assert worker_a.endpoints == {} and worker_a.timeline == {}
    assert master.totals() == direct.totals()
    for name, stats in direct.endpoints.items():
        assert percentiles(master.endpoints[name].corrected) == percentiles(stats.corrected)
    assert set(master.timeline) == set(direct.timeline)


def test_long_runs_get_coarser_buckets():
    assert bucket_seconds(30) == 1.0
    assert bucket_seconds(1800) == 6.0
