"""`chirp load smoke` end to end against the session stack, and its report in Chromium;
and a stack slowed on purpose, whose verdicts must fail."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import pytest

from chirp.infra.provision.local import provider
from chirp.infra.provision.local.faults import LocalFaults
from chirp.loadtests.summary import validate
from tests.api import Api
from tests.promlink import covers

pytestmark = pytest.mark.integration

POPULATION_USERS = 12
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
# Appended to a copy of the report: after load, Chromium records each image's decoded width.
_PROBE = """<script>
window.addEventListener('load', () => {
  const widths = [...document.images].map(i => (i.complete ? i.naturalWidth : -1));
  document.body.dataset.drawn = widths.join(',');
});
</script>"""


@pytest.fixture(scope="module")
def population(stack):
    """A small power-law-ish graph made through the real API, written as `chirp seed` would."""
    api = Api(f"http://127.0.0.1:{stack.port('lb_port')}")
    users = [api.sign_up("load") for _ in range(POPULATION_USERS)]
    followers = {u.user_id: 0 for u in users}
    for index, user in enumerate(users):
        for target in sorted({0, 1, (index * 7 + 3) % len(users)} - {index}):
            api.follow(user, users[target])
            followers[users[target].user_id] += 1
    api.post(users[0], "hello #chirp from the load population")
    path = stack.run_dir / "seed" / "population.json"
    previous = path.read_bytes() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "users": [
                    {
                        "user_id": u.user_id,
                        "username": u.username,
                        "token": u.token,
                        "followers": followers[u.user_id],
                    }
                    for u in users
                ],
                "celebrities": [users[0].user_id],
                "hashtags": ["chirp", "news", "tech"],
            }
        )
    )
    yield path
    if previous is None:
        path.unlink(missing_ok=True)
    else:  # another test seeded this stack: leave its population as it was
        path.write_bytes(previous)


@pytest.fixture(scope="module")
def smoke_report(stack, population, tmp_path_factory):
    report = tmp_path_factory.mktemp("load") / "smoke"
    done = stack.chirp(
        "load", "smoke", "--duration", "15", "--report-dir", str(report),
        "--junit", str(report / "junit.xml"), timeout=300,
    )  # fmt: skip
    # 0: the run passed, 1: it did not; timings are not test material, so either will do.
    assert done.returncode in (0, 1), (
        f"chirp load failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    )
    assert "Traceback" not in done.stderr
    return report, done


def test_smoke_writes_a_valid_report_with_verdicts(smoke_report):
    report, done = smoke_report
    summary = json.loads((report / "summary.json").read_text())
    validate(summary)
    assert summary["scenario"]["name"] == "smoke"
    assert summary["totals"]["ok"] > 0
    assert {row["name"] for row in summary["endpoints"]} >= {"GET /feed", "POST /tweets"}
    verdicts = {o["name"]: o["verdict"] for o in summary["slo"]["objectives"]}
    assert set(verdicts) >= {"write_p99_ms", "feed_read_p99_ms", "error_rate", "consumer_lag"}
    assert set(verdicts.values()) <= {"PASS", "FAIL", "NOT_MEASURED", "NOT_ENOUGH_SAMPLES"}
    # 5 s judged after the 10 s warm-up: far from the 10,000 samples a p99.9 needs
    assert verdicts["feed_read_p999_ms"] == verdicts["write_p999_ms"] == "NOT_ENOUGH_SAMPLES"
    assert "not enough samples to judge" in done.stderr
    assert summary["exit_code"] == done.returncode
    assert (summary["exit_code"] == 0) == summary["outcome"]["passed"]
    assert "SLOs: smoke" in done.stdout
    for csv in ("locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv"):
        assert (report / csv).stat().st_size > 0


def test_smoke_reports_its_warm_up_apart(smoke_report):
    report, done = smoke_report
    summary = json.loads((report / "summary.json").read_text())
    warmup = summary["warmup"]
    assert warmup["seconds"] == 10 and warmup["requests"] > 0
    judged = sum(row["requests"] for row in summary["endpoints"])
    assert warmup["requests"] + judged == summary["totals"]["requests"]
    assert "warm-up: first 10 s, not judged" in done.stdout
    assert "<h2>Warm-up</h2>" in (report / "report.html").read_text()


def test_smoke_writes_junit_with_a_case_per_objective(smoke_report):
    report, _ = smoke_report
    summary = json.loads((report / "summary.json").read_text())
    suite = ET.parse(report / "junit.xml").getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert suite.get("name") == "chirp load smoke"
    assert set(cases) >= {o["name"] for o in summary["slo"]["objectives"]}
    for objective in summary["slo"]["objectives"]:
        kinds = [child.tag for child in cases[objective["name"]]]
        expected = {"PASS": [], "FAIL": ["failure"]}.get(objective["verdict"], ["skipped"])
        assert kinds == expected, objective


def test_smoke_reports_the_alerts_of_the_run_and_links_its_prometheus_range(smoke_report):
    report, done = smoke_report
    summary = json.loads((report / "summary.json").read_text())
    # The session stack runs Prometheus: the history is known (which alerts fired is not
    # test material), and the link shows the whole run.
    assert isinstance(summary["alerts"], list), summary.get("alerts_note")
    assert "alerts_note" not in summary
    assert covers(summary["prometheus_url"], summary["started_at"], summary["finished_at"])
    assert f"prometheus: {summary['prometheus_url']}" in done.stdout
    assert ("alerts fired during the run" in done.stdout) == bool(summary["alerts"])
    page = (report / "report.html").read_text()
    assert "<h2>Alerts</h2>" in page and "The run's time range in Prometheus" in page


def test_a_missing_population_is_one_line_and_exit_2(stack, tmp_path):
    env = dict(stack.env, CHIRP_RUN_DIR=str(tmp_path))
    done = subprocess.run(
        [*_chirp_command(), "load", "smoke", "--duration", "15"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "run `chirp seed` first" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_report_html_draws_its_plots_in_chromium(smoke_report, tmp_path):
    report, _ = smoke_report
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed; install it with `apt-get install -y chromium`")
    page = (report / "report.html").read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) >= 5
    for data in images:
        png = base64.b64decode(data)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    probe = tmp_path / "report-probe.html"
    probe.write_text(page.replace("</body>", _PROBE + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    drawn = re.search(r'data-drawn="([^"]*)"', done.stdout)
    assert drawn, "Chromium's DOM has no trace of the page's images"
    widths = [int(w) for w in drawn.group(1).split(",")]
    assert len(widths) == len(images) and all(w > 0 for w in widths), widths
    assert done.stdout.count("data:image/png;base64,") == len(images)


STALLED_FEED = """
description = "feed reads through gateways that are stopped 300 ms out of every 400"
duration_s = 45
warmup_s = 2

[load]
rate = 80
users = 80
zipf_exponent = 0

[mix]
feed = 1

[[thresholds]]
endpoint = "GET /feed"
p99_ms = 50
abort_on_fail = true
"""


@contextmanager
def stalled_gateways(stack, stopped_s: float = 0.3, running_s: float = 0.1) -> Iterator[None]:
    """Every gateway SIGSTOPped for `stopped_s`, then SIGCONTed for `running_s`, over and
    over (by pid, as `chirp chaos` pauses a component); all running again afterwards.
    A request that reaches a stopped gateway waits for it: up to `stopped_s` added."""
    faults = LocalFaults(stack.settings())
    gateways = [name for name in faults.components() if name.startswith("gateway-")]
    done = threading.Event()

    def cycle() -> None:
        while not done.is_set():
            for name in gateways:
                faults.pause(name)
            done.wait(stopped_s)
            for name in gateways:
                faults.resume(name)
            done.wait(running_s)

    thread = threading.Thread(target=cycle, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=10)
        for name in gateways:
            faults.resume(name)


def test_a_slowed_stack_fails_its_verdicts_and_aborts(stack, population, tmp_path):
    scenario = tmp_path / "stalled-feed.toml"
    scenario.write_text(STALLED_FEED)
    report = tmp_path / "stalled"
    with stalled_gateways(stack):
        done = stack.chirp(
            "load", str(scenario), "--report-dir", str(report), "--json",
            "--junit", str(report / "junit.xml"), timeout=300,
        )  # fmt: skip
    assert done.returncode == 1, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    summary = json.loads((report / "summary.json").read_text())
    objectives = {o["name"]: o for o in summary["slo"]["objectives"]}
    for name in ("feed_read_p99_ms", "GET /feed p99_ms"):
        assert objectives[name]["verdict"] == "FAIL", objectives[name]
        assert objectives[name]["samples"] >= 1_000
    assert summary["slo"]["judged_on"] == "corrected"
    # The threshold stopped the run once a p99 over 1,000 judged samples breached it.
    aborted = summary["aborted"]
    assert aborted is not None and aborted["reason"].startswith("GET /feed p99 ")
    assert summary["elapsed_s"] < 45
    assert any(r.startswith("aborted after") for r in summary["outcome"]["reasons"])
    cases = ET.parse(report / "junit.xml").getroot().find("testsuite").findall("testcase")
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert {"feed_read_p99_ms", "GET /feed p99_ms", "run was not aborted"} <= failed
    assert _all_gateways_running(stack)


def _all_gateways_running(stack) -> bool:
    settings = stack.settings()
    states = []
    for component in provider.components(settings):
        if component.name.startswith("gateway-"):
            record = provider.running(component)
            proc = record.process() if record else None
            states.append(None if proc is None else proc.status())
    return bool(states) and all(s not in (None, psutil.STATUS_STOPPED) for s in states)


def _chirp_command() -> list[str]:
    return [sys.executable, "-m", "chirp.cli.main"]
