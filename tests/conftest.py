"""Session fixtures: one private stack, started by the real CLI, for every integration test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from chirp.infra.provision.local import process
from chirp.stack.resources import Resources
from tests.stackenv import StackEnv


def _recorded_pids(stack: StackEnv) -> list[process.ProcessRecord]:
    pid_dir = stack.run_dir / "pids"
    records = [process.read_record(p) for p in pid_dir.glob("*.pid")] if pid_dir.exists() else []
    return [r for r in records if r is not None]


@pytest.fixture(scope="session")
def stack() -> Iterator[StackEnv]:
    """A running stack on free ports; stopped, checked for leftovers and purged at the end."""
    env = StackEnv.create()
    started = env.chirp("up")
    try:
        if started.returncode != 0:
            pytest.fail(f"chirp up failed:\n{started.stdout}\n{started.stderr}")
        yield env
    finally:
        records = _recorded_pids(env)
        env.chirp("down", "--purge")
        leftovers = [r.pid for r in records if r.alive()]
        for record in records:  # never leave a process behind, even when down failed
            if record.alive():
                process.terminate(record, grace_s=5)
        shutil.rmtree(env.run_dir, ignore_errors=True)
        assert not leftovers, f"chirp down left these pids alive: {leftovers}"


@pytest.fixture(scope="module")
def res(stack: StackEnv) -> Iterator[Resources]:
    """Clients of the session's stack, as the stack's own processes open them."""
    resources = Resources.open(stack.settings())
    yield resources
    resources.close()
