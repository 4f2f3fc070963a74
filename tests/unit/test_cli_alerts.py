"""How `chirp load` and `chirp chaos` print the alerts of a run and its Prometheus link."""

from __future__ import annotations

import io

from rich.console import Console

from chirp.cli.alerts import print_alerts

URL = "http://127.0.0.1:9090/graph?" + "&".join(f"g{i}.expr=ALERTS" for i in range(12))
FIRED = {
    "name": "ConsumerLagAboveTarget",
    "severity": "warning",
    "summary": "fanout is … messages behind (target < 1,000)",
    "labels": {"group": "fanout", "instance": "127.0.0.1:8202", "job": "worker"},
    "first_firing_at": "2026-01-01T10:00:02+00:00",
    "last_firing_at": "2026-01-01T10:00:40+00:00",
    "firing_s": 40,
    "spells": 2,
}


def printed(report: dict, during: str = "the run") -> str:
    console = Console(file=io.StringIO(), width=100)
    print_alerts(console, report, during)
    return console.file.getvalue()


def test_fired_alerts_are_a_table_and_the_link_one_unbroken_line():
    text = printed({"alerts": [FIRED], "prometheus_url": URL})
    assert "alerts fired during the run" in text
    assert "ConsumerLagAboveTarget" in text and "group=fanout" in text
    assert "instance=" not in text
    assert f"prometheus: {URL}\n" in text


def test_none_fired_and_unknown_say_so():
    quiet = printed({"alerts": [], "prometheus_url": URL}, "the drill")
    assert quiet.startswith("alerts: none fired during the drill\n")
    unknown = printed({"alerts": None, "prometheus_url": None, "alerts_note": "no Prometheus"})
    assert unknown == "alerts: unknown: no Prometheus\n"
    assert printed({}) == "alerts: unknown: the alert history is not in this report\n"
