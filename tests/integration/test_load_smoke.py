"""`chirp load smoke` end to end against the session stack, and its report in Chromium."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from loadtests.summary import validate
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
        "load", "smoke", "--duration", "15", "--report-dir", str(report), timeout=300
    )
    # 0: every SLO met, 1: one breached; timings are not test material, so either will do.
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
    assert set(verdicts.values()) <= {"PASS", "FAIL", "NOT_MEASURED"}
    assert summary["exit_code"] == done.returncode
    assert "SLOs: smoke" in done.stdout
    for csv in ("locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv"):
        assert (report / csv).stat().st_size > 0


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
        [*_chirp_command(), "load", "smoke", "--duration", "5"],
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


def _chirp_command() -> list[str]:
    return [sys.executable, "-m", "cli.main"]
