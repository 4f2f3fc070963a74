"""`chirp load --expect-workers 2` with two `chirp load-worker` processes joining it over
127.0.0.1, as workers on other hosts would: the plan and the population travel over
Locust's messages (the workers get no files), and the master's report merges both."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from chirp.infra.provision.local.ports import free_port
from chirp.loadtests.summary import validate
from tests.api import Api

pytestmark = pytest.mark.integration

_REPORTED = re.compile(r"load-worker: (\d+) requests reported to the master at \S+ over 1 phase")


@pytest.fixture(scope="module")
def population(stack):
    """A few users who follow each other, written where `chirp seed` writes them."""
    api = Api(f"http://127.0.0.1:{stack.port('lb_port')}")
    users = [api.sign_up("multi") for _ in range(6)]
    for index, user in enumerate(users):
        api.follow(user, users[(index + 1) % len(users)])
    api.post(users[0], "hello #chirp from two generator hosts")
    path = stack.run_dir / "seed" / "population.json"
    previous = path.read_bytes() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    members = [
        {"user_id": u.user_id, "username": u.username, "token": u.token, "followers": 1}
        for u in users
    ]
    path.write_text(json.dumps({"users": members, "celebrities": [users[0].user_id]}))
    yield path
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(previous)


def _chirp(stack, *args: str, cwd, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "chirp.cli.main", *args],
        env={**stack.env, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_master_merges_the_requests_of_two_workers_that_joined_it(stack, population, tmp_path):
    port = free_port()
    report = tmp_path / "report"
    master = _chirp(
        stack, "load", "smoke", "--duration", "12", "--expect-workers", "2",
        "--master-bind", f"127.0.0.1:{port}", "--report-dir", str(report), "--json",
        cwd=tmp_path,
    )  # fmt: skip
    # The workers' run directory is empty: no plan, no population file to read.
    elsewhere = tmp_path / "worker-host"
    elsewhere.mkdir()
    workers = [
        _chirp(stack, "load-worker", "--master", f"127.0.0.1:{port}", cwd=elsewhere,
               CHIRP_RUN_DIR=str(elsewhere))
        for _ in range(2)
    ]  # fmt: skip
    try:
        out, err = master.communicate(timeout=300)
        finished = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for process in (master, *workers):
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    assert master.returncode in (0, 1), f"chirp load failed ({master.returncode}):\n{err}"
    assert "Traceback" not in err
    assert f"chirp load-worker --master 127.0.0.1:{port}" in err

    summary = json.loads(out)
    validate({k: v for k, v in summary.items() if k != "report_dir"})
    assert summary["generator"]["mode"] == "locust-master + 2 remote workers"
    assert summary["generator"]["processes"] == 2

    reported = []
    for worker, (_, worker_err) in zip(workers, finished, strict=True):
        assert worker.returncode == 0, worker_err
        match = _REPORTED.search(worker_err)
        assert match, worker_err
        reported.append(int(match.group(1)))
    # Both workers ran users, and the master's totals are exactly their reports merged.
    assert all(count > 0 for count in reported), reported
    assert summary["totals"]["requests"] == sum(reported)
    assert summary["totals"]["ok"] > 0
    assert list(elsewhere.iterdir()) == []


def test_local_workers_get_the_plan_the_same_way(stack, population, tmp_path):
    report = tmp_path / "report"
    done = stack.chirp(
        "load", "smoke", "--duration", "12", "--workers", "2", "--report-dir", str(report),
        "--json", timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    summary = json.loads(done.stdout)
    assert summary["generator"]["mode"] == "locust-master + 2 worker processes"
    assert summary["totals"]["ok"] > 0
    assert not (report / "plan.json").exists()
