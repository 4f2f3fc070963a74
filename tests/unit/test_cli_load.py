"""`chirp load` usage errors through Typer's runner: one line, exit 2, before any stack
is needed (the CHIRP_RUN_DIR and LB port point at nothing)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from chirp.cli.main import app
from chirp.loadtests.summary import SCHEMA_VERSION

runner = CliRunner()


def run(tmp_path, *args: str):
    env = {"CHIRP_RUN_DIR": str(tmp_path / "run"), "CHIRP_LB_PORT": "1"}
    return runner.invoke(app, ["load", *args], env=env)


def assert_usage_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.output
    text = " ".join(lines)
    for word in words:
        assert word in text, text


def test_tolerance_needs_a_baseline(tmp_path):
    assert_usage_error(run(tmp_path, "smoke", "--tolerance", "0.1"), "--tolerance needs --compare")


def test_a_warm_up_longer_than_the_run_is_refused(tmp_path):
    result = run(tmp_path, "smoke", "--duration", "8")
    assert_usage_error(result, "warmup_s: 10 s leaves nothing of the 8 s run", "--warmup")
    result = run(tmp_path, "smoke", "--duration", "30", "--warmup", "30")
    assert_usage_error(result, "warmup_s: 30 s leaves nothing of the 30 s run")


def test_a_baseline_of_another_schema_is_refused(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text(json.dumps({"kind": "chirp-load", "schema_version": 1}))
    result = run(tmp_path, "smoke", "--compare", str(old))
    assert_usage_error(result, f"has summary schema 1, this chirp reads {SCHEMA_VERSION}")


@pytest.mark.parametrize("option", ["--allow-unreliable", "--junit", "--tolerance", "--warmup"])
def test_the_gates_are_in_the_help(option):
    result = runner.invoke(app, ["load", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and option in result.output
