"""The shipped locustfile under plain Locust, against the session stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_load_smoke import population  # noqa: F401 - a fixture

pytestmark = pytest.mark.integration

LOCUSTFILE = Path(__file__).resolve().parents[2] / "loadtests" / "locustfile.py"


def test_plain_locust_runs_the_scenarios_journeys(stack, population):  # noqa: F811
    host = f"http://127.0.0.1:{stack.port('lb_port')}"
    env = dict(stack.env, CHIRP_LOAD_SCENARIO="smoke")
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--json",
         "-u", "4", "-r", "4", "-t", "6s", "--host", host],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    stats = {row["name"]: row for row in json.loads(done.stdout)}
    assert stats, done.stderr[-2000:]
    assert sum(row["num_requests"] for row in stats.values()) > 0
    assert sum(row["num_failures"] for row in stats.values()) == 0
    assert "/feed" in stats  # the mix's largest share always gets a user


def test_an_unseeded_run_directory_is_one_line(stack, tmp_path):
    env = dict(stack.env, CHIRP_RUN_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-t", "1s"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "run `chirp seed` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_chirp_load_web_serves_locusts_ui_on_the_scenario(stack, population):  # noqa: F811
    import signal
    import urllib.request

    from chirp.infra.provision.local.ports import free_port
    from tests.api import eventually

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "chirp.cli.main",
        "load",
        "smoke",
        "--web",
        "--web-port",
        str(port),
    ]
    ui = subprocess.Popen(command, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:

        def page() -> str:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    return answer.read().decode()
            except OSError:
                return ""

        assert "locust" in eventually(page, timeout_s=60, what="Locust's UI").lower()
    finally:
        ui.send_signal(signal.SIGINT)
        assert ui.wait(timeout=30) == 0
