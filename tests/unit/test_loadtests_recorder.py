"""The recorder: outcomes apart, latency of successes only, mergeable across processes."""

from __future__ import annotations

from chirp.loadtests.latency import percentiles
from chirp.loadtests.recorder import Outcome, Recorder, bucket_seconds


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


def test_requests_started_in_the_warm_up_are_kept_apart():
    recorder = Recorder(judged_from=1010.0)
    recorder.record("GET /feed", Outcome.ok, 900.0, when=1000.0)  # the first second's spike
    recorder.record("GET /feed", Outcome.error, 5.0, when=1009.999, error_kind="HTTP 502")
    recorder.record("GET /feed", Outcome.ok, 10.0, when=1010.0)  # the boundary is judged
    recorder.record("GET /feed", Outcome.ok, 12.0, when=1020.0)
    early, judged = recorder.warmup["GET /feed"], recorder.endpoints["GET /feed"]
    assert early.counts.as_dict() == {"requests": 2, "ok": 1, "errors": 1, "rate_limited": 0}
    assert judged.counts.as_dict() == {"requests": 2, "ok": 2, "errors": 0, "rate_limited": 0}
    assert round(percentiles(early.service).max) == 900
    assert round(percentiles(judged.service).max) == 12
    assert recorder.totals().requests == 4 and recorder.judged_totals().requests == 2
    assert recorder.warmup_totals().errors == 1
    assert recorder.requests_by_endpoint() == {"GET /feed": 4}
    assert sum(b.counts.requests for b in recorder.timeline.values()) == 4  # all kept


def test_the_live_view_shows_the_warm_up_until_judged_figures_exist():
    recorder = Recorder(judged_from=1010.0)
    recorder.record("GET /feed", Outcome.ok, 900.0, when=1000.0)
    assert recorder.live()["GET /feed"] is recorder.warmup["GET /feed"]
    recorder.record("GET /feed", Outcome.ok, 10.0, when=1011.0)
    assert recorder.live()["GET /feed"] is recorder.endpoints["GET /feed"]


def test_without_a_warm_up_everything_is_judged():
    recorder = Recorder()
    fill(recorder)
    assert recorder.warmup == {} and recorder.judged_totals() == recorder.totals()


def test_workers_keep_the_warm_up_apart_through_drain_and_merge():
    worker, master = Recorder(judged_from=1001.0), Recorder()
    fill(worker)
    master.merge(worker.drain())
    assert worker.warmup == {} and worker.endpoints == {}
    assert master.warmup["GET /feed"].counts.requests == 2  # started at 1000.0 and 1000.5
    assert master.endpoints["GET /feed"].counts.requests == 1
    assert master.endpoints["POST /tweets"].error_kinds == {"HTTP 500": 1}
