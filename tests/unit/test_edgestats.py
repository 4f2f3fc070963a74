from __future__ import annotations

import json

from chirp.infra.provision.local.edgestats import EdgeCounters, parse


def test_counters_come_from_varnishstat_json():
    text = json.dumps(
        {
            "version": 1,
            "counters": {
                "MAIN.cache_hit": {"value": 90},
                "MAIN.cache_miss": {"value": 10},
                "MAIN.s_pass": {"value": 5},
                "MAIN.client_req": {"value": 105},
                "MAIN.backend_req": {"value": 15},
            },
        }
    )
    counters = parse(text)
    assert counters == EdgeCounters(90, 10, 5, 105, 15)
    assert counters.hit_ratio == 0.9


def test_a_window_is_the_difference_and_no_lookups_has_no_ratio():
    later, earlier = EdgeCounters(30, 10, 0, 40, 10), EdgeCounters(10, 10, 0, 20, 10)
    assert later.minus(earlier).hit_ratio == 1.0
    assert EdgeCounters(0, 0, 3, 3, 3).hit_ratio is None
    assert parse("not json") is None
