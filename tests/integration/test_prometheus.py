"""Prometheus under `chirp up`: every target scraped, rules loaded, alerts in `chirp status`,
and the live dashboard drawn on a real terminal and left with Ctrl-C."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime

import pytest

from chirp.core.observe import promql
from chirp.infra.provision.local import process, provider
from chirp.stack.schema import topics
from tests.api import eventually
from tests.promlink import covers
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration

# Generous: the first scrape of each target waits for its interval, on a busy machine.
DEADLINE_S = 180
COMPONENTS = {
    "gateway-1",
    "gateway-2",
    "relay",
    "fanout",
    "search-indexer",
    "trending",
    "notify",
    "analytics",
    "redis-exporter",
    "postgres-exporter",
    "edge-purger",
    "edge-exporter",
}


def api(stack: StackEnv, path: str) -> dict:
    url = f"http://127.0.0.1:{stack.port('prometheus_port')}{path}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = json.loads(answer.read())
    assert body["status"] == "success", body
    return body["data"]


def poll(check, what: str):
    """`check()` until it returns something true, or fail with its last answer."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        last = check()
        if last[0]:
            return last[1]
        if time.monotonic() > deadline:
            pytest.fail(f"{what} after {DEADLINE_S}s: {last[1]}")
        time.sleep(1)


def test_prometheus_scrapes_every_gateway_worker_and_exporter(stack):
    def targets_health():
        active = api(stack, "/api/v1/targets")["activeTargets"]
        health = {t["labels"].get("component"): t["health"] for t in active}
        return set(health) == COMPONENTS and set(health.values()) == {"up"}, health

    poll(targets_health, "not every target is up")


def test_exporters_reach_redis_and_postgres(stack):
    url = f"http://127.0.0.1:{stack.port('prometheus_port')}"

    def database_up():
        found = promql.query(url, "redis_up or pg_up")
        values = {r["metric"]["__name__"]: r["value"][1] for r in found}
        return values == {"redis_up": "1", "pg_up": "1"}, values

    poll(database_up, "the exporters do not see their databases")


def test_chirp_rules_are_loaded(stack):
    groups = {g["name"] for g in api(stack, "/api/v1/rules")["groups"]}
    assert {"chirp-recording", "chirp-consumer-lag", "chirp-write-path"} <= groups


def test_status_json_lists_prometheus_and_its_alerts(stack):
    result = stack.chirp("status", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert isinstance(payload["alerts"], list)
    for alert in payload["alerts"]:
        assert alert["state"] == "firing"
        assert {"name", "severity", "summary", "labels"} <= set(alert)
    states = {c["name"]: c["state"] for c in payload["components"]}
    assert states["prometheus"] == states["redis-exporter"] == states["postgres-exporter"] == "up"


def test_status_figures_read_every_groups_lag_from_the_relays_partition_gauges(stack):
    """The one-scrape figures of `status` against the real relay: one lag per subscribed
    group, the sum of its partitions (what the dashboard's lag table shows)."""
    groups = set(topics.SUBSCRIPTIONS)

    def figures():
        done = stack.chirp("status", "--json")
        assert done.returncode == 0, done.stderr
        found = json.loads(done.stdout)["figures"]
        return found if set(found["consumer_lag"]) == groups else None

    found = eventually(figures, timeout_s=DEADLINE_S, what="a lag for every group")
    assert all(isinstance(lag, int) and lag >= 0 for lag in found["consumer_lag"].values())
    assert isinstance(found["requests_total"], int)


def _firing(stack: StackEnv, name: str, component: str) -> bool:
    return any(
        a["labels"].get("alertname") == name
        and a["labels"].get("component") == component
        and a["state"] == "firing"
        for a in api(stack, "/api/v1/alerts")["alerts"]
    )


def test_an_alert_that_fired_and_resolved_is_in_the_history_of_its_range(stack):
    """Stop the PostgreSQL exporter until ComponentDown fires, start it again until the
    alert resolves: the alert history of that range has it, from the real Prometheus."""
    settings = stack.settings()
    exporter = provider.find(settings, "postgres-exporter")
    start = time.time()
    assert process.stop(exporter.pid_file, grace_s=5), "the exporter was not running"
    try:
        poll(
            lambda: (_firing(stack, "ComponentDown", exporter.name), "not firing"),
            "ComponentDown did not fire for the stopped exporter",
        )
    finally:
        restarted = stack.chirp("up")
    assert restarted.returncode == 0, restarted.stderr
    poll(
        lambda: (not _firing(stack, "ComponentDown", exporter.name), "still firing"),
        "ComponentDown did not resolve once the exporter was back",
    )
    end = time.time()

    history = provider.alert_history(settings, start, end)
    assert history.alerts is not None, history.note
    [down] = [
        a
        for a in history.alerts
        if a.name == "ComponentDown" and a.labels.get("component") == exporter.name
    ]
    assert start <= down.first_firing_at <= down.last_firing_at <= end
    assert down.severity == "critical" and down.spells == 1 and down.firing_s > 0
    assert down.summary == "postgres-exporter does not answer its /metrics scrape"
    assert history.prometheus_url is not None
    iso = [datetime.fromtimestamp(t, UTC).isoformat() for t in (start, end)]
    assert covers(history.prometheus_url, *iso)


def test_status_watch_draws_the_dashboard_and_ctrl_c_exits_zero(stack):
    controller, terminal = pty.openpty()
    env = {**stack.env, "COLUMNS": "160", "LINES": "60", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chirp.cli.main", "status", "--watch"],
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    screen = ""
    try:
        deadline = time.monotonic() + 120
        while "consumer lag" not in screen or "alerts" not in screen:
            assert proc.poll() is None, f"the dashboard exited early:\n{screen}"
            assert time.monotonic() < deadline, f"no dashboard after 120s:\n{screen}"
            if select.select([controller], [], [], 1)[0]:
                screen += os.read(controller, 65536).decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=60)
        while select.select([controller], [], [], 0.5)[0]:
            try:
                screen += os.read(controller, 65536).decode(errors="replace")
            except OSError:  # the terminal closed with the process
                break
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)
    assert returncode == 0, screen
    assert "Traceback" not in screen
    assert "metrics endpoints answering" in screen
