"""Two holders of one file lock at once: real locks on tmp_path, two threads."""

from __future__ import annotations

import threading
from pathlib import Path

from chirp.infra.provision.local import locks

_WAIT_S = 10  # only bounds a broken run


def test_a_second_up_says_another_runs_and_waits_for_it(tmp_path: Path):
    said: list[str] = []
    told = threading.Event()
    entered = threading.Event()

    def second() -> None:
        def on_wait(line: str) -> None:
            said.append(line)
            told.set()

        with locks.stack_lock(tmp_path, on_wait):
            entered.set()

    with locks.stack_lock(tmp_path, on_wait=said.append):
        waiter = threading.Thread(target=second)
        waiter.start()
        assert told.wait(_WAIT_S)
        assert not entered.is_set()
    waiter.join(_WAIT_S)
    assert entered.is_set()
    assert said == [f"another chirp up or down is running on {tmp_path}; waiting for it to finish"]


def test_two_builds_at_once_build_once(tmp_path: Path):
    built: list[str] = []
    second_checked = threading.Event()
    first_building = threading.Event()

    def done() -> bool:
        if threading.current_thread().name == "second":
            second_checked.set()
        return bool(built)

    def build() -> None:
        first_building.set()
        assert second_checked.wait(_WAIT_S)  # the second found nothing built, then waited
        built.append(threading.current_thread().name)

    lock_file = tmp_path / "cache" / "thing.lock"
    first = threading.Thread(target=locks.build_once, args=(lock_file, done, build))
    first.start()
    assert first_building.wait(_WAIT_S)
    second = threading.Thread(target=locks.build_once, args=(lock_file, done, build), name="second")
    second.start()
    first.join(_WAIT_S)
    second.join(_WAIT_S)
    assert built == [first.name]
