from __future__ import annotations

from chirp.infra.provision.local.edgestats import EdgeCounters
from chirp.loadtests.bench.edge import _figures, _png, _Tally
from chirp.stack.media import kinds


def _tally(requests: int, late: int) -> _Tally:
    tally = _Tally()
    for n in range(requests):
        tally.add(1.0 + n % 3, ok=True, late=n < late)
    return tally


def test_figures_report_hit_ratio_origin_load_and_what_was_saved():
    window = EdgeCounters(hits=950, misses=50, passes=0, requests=1000, origin_requests=60)
    figures = _figures(_tally(500, 0), 5.0, 50.0, _tally(1000, 10), 10.0, window, 40)
    assert figures["capacity_rps"] == 100.0 and figures["target_rps"] == 50.0
    assert figures["hit_ratio"] == 0.95
    assert figures["edge_rps"] == 100.0 and figures["origin_rps"] == 6.0
    assert figures["origin_saved"] == 0.94
    assert figures["reliable"] is True and figures["latency_ms"]["count"] == 1000


def test_a_generator_that_started_late_marks_the_figures_unreliable():
    figures = _figures(_tally(10, 0), 1.0, 5.0, _tally(100, 20), 10.0, None, 3)
    assert figures["reliable"] is False and "late" in figures["unreliable_reason"]
    assert figures["hit_ratio"] is None and figures["origin_rps"] is None


def test_the_uploaded_images_are_real_pngs():
    assert kinds.sniff(_png(3)) == kinds.PNG
    assert _png(3) != _png(4)
