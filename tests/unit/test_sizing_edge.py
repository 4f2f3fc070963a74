from __future__ import annotations

import pytest

from chirp.infra.sizing.assumptions import Assumptions
from chirp.infra.sizing.capacity import plan_capacity


def test_the_edge_serves_the_hits_and_the_origin_the_misses():
    plan = plan_capacity(Assumptions())
    edge = plan.edge
    assert edge is not None
    views = plan.load.reads_per_s.plan * 0.5
    assert edge.media_views_per_s == pytest.approx(views)
    assert edge.egress_bytes_per_s == pytest.approx(views * 200_000)
    assert edge.origin_requests_per_s == pytest.approx(views * 0.1)


def test_a_lower_hit_ratio_loads_the_origin_more():
    low = plan_capacity(Assumptions().with_overrides({"edge.hit_ratio": 0.5})).edge
    high = plan_capacity(Assumptions().with_overrides({"edge.hit_ratio": 0.99})).edge
    assert low is not None and high is not None
    assert low.origin_requests_per_s > 10 * high.origin_requests_per_s
    assert low.egress_bytes_per_s == pytest.approx(high.egress_bytes_per_s)
