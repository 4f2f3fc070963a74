"""`chirp trace` as a user runs it, on span files written into a private run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.unit.test_traces import JOURNEY, TWEET


def chirp(run_dir, *args: str, columns: int = 160) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIRP_")}
    env.update(CHIRP_RUN_DIR=str(run_dir), COLUMNS=str(columns))
    return subprocess.run(
        [sys.executable, "-m", "chirp.cli.main", "trace", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _spans_in(run_dir) -> None:
    traces = run_dir / "traces"
    traces.mkdir(parents=True)
    lines = "".join(json.dumps(s) + "\n" for s in JOURNEY)
    (traces / "mixed.1.jsonl").write_text(lines, encoding="utf-8")


def test_the_table_shows_each_hop_and_the_headline(tmp_path):
    _spans_in(tmp_path)
    result = chirp(tmp_path, str(TWEET))
    assert result.returncode == 0, result.stderr
    for hop in ("gateway", "store", "publish", "consume", "feed", "index"):
        assert hop in result.stdout
    assert "300 followers, None" not in result.stdout
    assert "(author's feed)" in result.stdout and "(300 followers" in result.stdout
    assert "+40.0 ms" in result.stdout  # the publish, 40 ms after the request began
    assert "the last follower's feed had it after 67.0 ms (500 followers)" in result.stdout


def test_json_is_the_timeline_for_scripts(tmp_path):
    _spans_in(tmp_path)
    result = chirp(tmp_path, str(TWEET), "--json")
    assert result.returncode == 0, result.stderr
    journey = json.loads(result.stdout)
    assert journey["tweet_id"] == str(TWEET) and journey["complete"] is True
    assert journey["feeds_done_ms"] == 67
    assert [h["hop"] for h in journey["hops"]][:3] == ["gateway", "store", "publish"]


def test_no_spans_is_one_line_and_exit_1(tmp_path):
    result = chirp(tmp_path, "777")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "no trace of tweet 777" in result.stderr and "chirp up" in result.stderr
