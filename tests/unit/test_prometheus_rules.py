"""chirp's alert rules and Prometheus config, checked by the promtool of the Debian package."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from chirp.infra.provision.local.prometheus import RULES_FILE, ScrapeTarget, render_config

RULES_TEST_FILE = RULES_FILE.with_name("chirp.rules.test.yml")


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool not found: it ships in Debian's prometheus package; run "
            "`chirp doctor --fix` or `apt-get install -y prometheus`"
        )
    return found


def run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_rules_pass_promtool_check(promtool):
    result = run(promtool, "check", "rules", RULES_FILE.name, cwd=RULES_FILE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_pass_their_unit_tests(promtool):
    result = run(promtool, "test", "rules", RULES_TEST_FILE.name, cwd=RULES_FILE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_seed_threshold_has_an_alert():
    rules = yaml.safe_load(RULES_FILE.read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}
    thresholds = {
        "TweetWriteLatencyP99High": "> 0.100",
        "TweetWriteLatencyP999High": "> 0.200",
        "FeedReadLatencyP99High": "> 0.050",
        "FeedReadLatencyP999High": "> 0.100",
        "ApiErrorRateHigh": "> 0.001",
        "FeedCacheHitRateLow": "< 0.85",
        "ConsumerLagAboveTarget": "> 1000",
        "ConsumerLagHigh": "> 5000",
        "ConsumerLagCritical": "> 50000",
    }
    for name, threshold in thresholds.items():
        assert alerts[name]["expr"].endswith(threshold), name
    lag_alerts = ("ConsumerLagAboveTarget", "ConsumerLagHigh", "ConsumerLagCritical")
    severities = [alerts[name]["labels"]["severity"] for name in lag_alerts]
    assert severities == ["warning", "critical", "page"]
    assert "DeadLetterQueueGrowing" in alerts


def test_rendered_config_scrapes_every_target_and_passes_promtool(promtool, tmp_path):
    targets = [
        ScrapeTarget("gateway", "gateway-1", 8101),
        ScrapeTarget("gateway", "gateway-2", 8102),
        ScrapeTarget("relay", "relay", 8201),
        ScrapeTarget("worker", "fanout", 8202),
        ScrapeTarget("redis", "redis-exporter", 9121),
    ]
    text = render_config("127.0.0.1", targets, RULES_FILE.name)
    config = yaml.safe_load(text)
    jobs = {job["job_name"]: job["static_configs"] for job in config["scrape_configs"]}
    assert set(jobs) == {"gateway", "relay", "worker", "redis"}
    assert jobs["gateway"] == [
        {"targets": ["127.0.0.1:8101"], "labels": {"component": "gateway-1"}},
        {"targets": ["127.0.0.1:8102"], "labels": {"component": "gateway-2"}},
    ]
    assert config["global"]["scrape_interval"] == "2s"
    (tmp_path / "prometheus.yml").write_text(text)
    shutil.copyfile(RULES_FILE, tmp_path / RULES_FILE.name)
    result = run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
