"""`chirp status --cpu`: every running component's CPU over a window, and the whole
stack's CPU and resident memory, from the real processes of the test stack."""

from __future__ import annotations

import json

import pytest

from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration


def test_status_measures_every_component_and_totals_the_stack(stack: StackEnv):
    done = stack.chirp("status", "--cpu", "2", "--json")

    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    up = {c["name"] for c in status["components"] if c["state"] == "up"}
    cpu = status["cpu"]
    assert set(cpu["components"]) == up
    assert all(percent >= 0 for percent in cpu["components"].values())
    # Each figure is rounded to 0.01 on its own: the sum of the rounded parts may stray
    # from the rounded total by half a step per part.
    rounding = 0.005 * (len(cpu["components"]) + 1) + 1e-9
    assert cpu["total_percent"] == pytest.approx(sum(cpu["components"].values()), abs=rounding)
    assert cpu["seconds"] >= 2
    rss = sum(c["rss_mb"] or 0 for c in status["components"])
    assert status["total_rss_mb"] == pytest.approx(rss, abs=0.5 * len(status["components"]))
    assert status["total_rss_mb"] > 0


def test_the_table_ends_with_the_whole_stack_line(stack: StackEnv):
    done = stack.chirp("status", "--cpu", "1")

    assert done.returncode == 0, done.stderr
    assert "whole stack:" in done.stdout and "% of one core over" in done.stdout
    assert "CPU %" in done.stdout


def test_cpu_and_watch_together_is_one_line_and_no_traceback(stack: StackEnv):
    done = stack.chirp("status", "--cpu", "1", "--watch")

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
