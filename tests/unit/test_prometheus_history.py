"""What fired during a run: query_range results folded into alerts, the step, the link to
Prometheus's graph page, and the note when Prometheus does not run."""

from __future__ import annotations

from datetime import UTC, datetime

from chirp.core.observe import AlertHistory, fold_firing, label_text
from chirp.core.settings import Settings
from chirp.infra.provision.local.alert_history import (
    FIRING,
    RUN_GRAPHS,
    alert_summary,
    firing_query,
    graph_url,
    history_step,
    rule_summaries,
)
from chirp.infra.provision.local.prometheus import EVALUATION_S
from chirp.infra.provision.local.provider import alert_history
from tests.promlink import covers, ui_panels

T0 = 1_700_000_000.0


def series(labels: dict[str, str], times: list[float]) -> dict:
    """One series of a query_range matrix, as Prometheus answers it."""
    return {"metric": labels, "values": [[t, "1"] for t in times]}


LAG_FANOUT = {
    "__name__": "ALERTS",
    "alertname": "ConsumerLagAboveTarget",
    "alertstate": "firing",
    "severity": "warning",
    "group": "fanout",
}
LAG_TRENDING = {**LAG_FANOUT, "group": "trending"}
DOWN = {
    "__name__": "ALERTS",
    "alertname": "ComponentDown",
    "alertstate": "firing",
    "severity": "critical",
    "component": "redis-exporter",
    "job": "redis",
}


def test_consecutive_points_fold_into_one_spell_and_a_gap_starts_another():
    step = 2
    spell_one = [T0 + 10 + i * step for i in range(5)]  # 10..18
    spell_two = [T0 + 40 + i * step for i in range(3)]  # 40..44
    [alert] = fold_firing([series(LAG_FANOUT, spell_one + spell_two)], step)
    assert alert.name == "ConsumerLagAboveTarget"
    assert alert.severity == "warning"
    assert alert.labels == {"group": "fanout"}
    assert alert.first_firing_at == T0 + 10 and alert.last_firing_at == T0 + 44
    assert alert.spells == 2
    assert alert.firing_s == 8 * step


def test_each_label_set_is_its_own_alert_ordered_by_first_firing():
    folded = fold_firing(
        [
            series(LAG_TRENDING, [T0 + 20, T0 + 22]),
            series(DOWN, [T0 + 4]),
            series(LAG_FANOUT, [T0 + 6, T0 + 8]),
        ],
        2,
    )
    assert [(a.name, a.labels.get("group")) for a in folded] == [
        ("ComponentDown", None),
        ("ConsumerLagAboveTarget", "fanout"),
        ("ConsumerLagAboveTarget", "trending"),
    ]
    assert folded[0].severity == "critical" and folded[0].spells == 1
    assert folded[0].labels == {"component": "redis-exporter", "job": "redis"}


def test_series_that_differ_only_by_metric_name_are_one_alert():
    """max_over_time drops __name__; the two forms of one alert are still one alert."""
    unnamed = {k: v for k, v in LAG_FANOUT.items() if k != "__name__"}
    [alert] = fold_firing([series(LAG_FANOUT, [T0]), series(unnamed, [T0 + 2])], 2)
    assert alert.first_firing_at == T0 and alert.last_firing_at == T0 + 2 and alert.spells == 1


def test_an_empty_answer_and_empty_series_mean_nothing_fired():
    assert fold_firing([], 2) == []
    assert fold_firing([series(LAG_FANOUT, [])], 2) == []


def test_summaries_come_from_the_rules_with_labels_filled_in():
    [alert] = fold_firing([series(LAG_FANOUT, [T0])], 2, rule_summaries())
    assert alert.summary == "fanout is … messages behind (target < 1,000)"
    down = alert_summary("ComponentDown", {"component": "relay"})
    assert down == "relay does not answer its /metrics scrape"
    assert alert_summary("NoSuchAlert", {}) == ""


def test_as_dict_gives_utc_times_and_rounded_durations():
    [alert] = fold_firing([series(DOWN, [T0, T0 + 2, T0 + 4])], 2)
    block = alert.as_dict()
    assert block["first_firing_at"] == datetime.fromtimestamp(T0, UTC).isoformat()
    assert block["firing_s"] == 6 and block["spells"] == 1
    assert block["labels"] == {"component": "redis-exporter", "job": "redis"}


def test_the_step_is_the_evaluation_interval_until_the_point_limit():
    assert history_step(T0, T0 + 60) == EVALUATION_S
    assert history_step(T0, T0) == EVALUATION_S
    day = 86_400
    step = history_step(T0, T0 + day)
    assert step > EVALUATION_S and day / step <= 11_000
    assert firing_query(EVALUATION_S) == FIRING
    assert firing_query(step) == f"max_over_time({FIRING}[{step}s])"


def test_the_graph_link_covers_the_run_in_every_panel():
    settings = Settings(host="127.0.0.1", prometheus_port=19090)
    start, end = T0 + 0.4, T0 + 75.6
    url = graph_url(settings, start, end, RUN_GRAPHS)
    assert url.startswith("http://127.0.0.1:19090/graph?")
    panels = ui_panels(url)
    assert [p["expr"] for p in panels] == list(RUN_GRAPHS)
    assert covers(url, _iso(start), _iso(end))
    assert not covers(url, _iso(start - 1), _iso(end))
    assert not covers(url, _iso(start), _iso(end + 1))
    for panel in panels:
        assert panel["tab"] == "0" and panel["moment_input"] == panel["end_input"]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def test_without_prometheus_the_history_is_a_note(tmp_path):
    history = alert_history(Settings(run_dir=tmp_path), T0, T0 + 60)
    assert history.alerts is None and history.prometheus_url is None
    assert "not running" in history.note
    assert history.as_dict() == {
        "alerts": None,
        "prometheus_url": None,
        "alerts_note": history.note,
    }


def test_a_known_history_has_no_note():
    [alert] = fold_firing([series(DOWN, [T0])], 2)
    block = AlertHistory([alert], "http://127.0.0.1:9090/graph?g0.expr=x").as_dict()
    assert set(block) == {"alerts", "prometheus_url"}
    assert block["alerts"] == [alert.as_dict()]


def test_labels_read_without_scrape_plumbing():
    labels = {"component": "relay", "instance": "127.0.0.1:8201", "job": "relay", "group": "g"}
    assert label_text(labels) == "component=relay, group=g"
    assert label_text({}) == ""
