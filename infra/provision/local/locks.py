"""File locks that keep two chirp processes from doing the same thing at once.

`stack_lock` serialises `chirp up` and `chirp down` on one run directory: a second one
waits for the first to finish, then does its own (idempotent) work. `build_once` makes a
cache entry (server jars, the SeaweedFS binary) once when two processes need it at the
same time: the second waits for the first and then finds it built. The kernel drops a
lock whose holder died, so a crash never leaves one behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

STACK_LOCK_NAME = "stack.lock"


@contextmanager
def stack_lock(run_dir: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the run directory's lifecycle lock; `on_wait` gets one line if another holds it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(run_dir / STACK_LOCK_NAME)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        on_wait(f"another chirp up or down is running on {run_dir}; waiting for it to finish")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def build_once(lock_file: Path, done: Callable[[], bool], build: Callable[[], None]) -> None:
    """`build()` unless `done()`, with `lock_file` held so only one process builds."""
    if done():
        return
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_file):
        if not done():
            build()
