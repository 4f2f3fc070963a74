"""bench.html: the goals, ratios and knees of a bench's figures on one escaped page."""

from __future__ import annotations

import base64
import re

from chirp.loadtests.bench.report import render


def _operation(rps: float) -> dict:
    def run(fraction: float) -> dict:
        return {
            "fraction": fraction,
            "ok_rps": rps * fraction,
            "latency_ms": {"p50": 2.0 / (1.01 - fraction), "p99": 9.0 / (1.01 - fraction)},
        }

    return {"open_loop": [run(0.25), run(0.5), run(0.75)], "saturation": run(1.0)}


FIGURES = {
    "quick": True,
    "generator": "locust <local>",
    "generator_processes": 2,
    "gateway_processes": 2,
    "fanout_worker_processes": 1,
    "profile": {"name": "bench", "tweets_per_hour": 100_000, "backpressure_lag": 1_000_000},
    "reliable": False,
    "unreliable": ["generator above 90 % CPU"],
    "goals": [
        {
            "figure": "feed_read_p99_ms",
            "measured": 12.5,
            "goal": "< 50",
            "verdict": "PASS",
            "reason": "p99 < goal",
        },
        {
            "figure": "edge_hit_ratio",
            "measured": 0.8,
            "goal": "> 0.9",
            "verdict": "FAIL",
            "reason": "hits <b>low</b>",
        },
    ],
    "definitions": {"ceiling_rps": "GET /api/v1/ping & friends"},
    "feed_read_ratio": 0.41,
    "ceiling_rps": 5_000,
    "operations": {"feed_read": _operation(2_000), "post": _operation(500)},
}


def test_bench_page_is_self_contained_with_a_knee_per_operation():
    page = render(FIGURES)
    assert "<script" not in page and "http" not in page
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 2
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for data in images)
    assert "<title>chirp bench (quick)</title>" in page


def test_bench_page_escapes_every_value_and_tags_verdicts():
    page = render(FIGURES)
    assert "hits &lt;b&gt;low&lt;/b&gt;" in page and "<b>low</b>" not in page
    assert "locust &lt;local&gt; (2 processes)" in page
    assert "GET /api/v1/ping &amp; friends" in page
    assert "<span class='FAIL'>FAIL</span>" in page and "<span class='PASS'>PASS</span>" in page
    assert "no: generator above 90 % CPU" in page
