"""Start a server as a detached process, remember it by pid, stop it by pid.

A pid file holds the pid and the process's start time, so a pid that the
kernel has since reused for another program is never mistaken for ours.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

# Popen objects of the servers this process started: kept so that dropping them does not
# warn "subprocess still running"; the servers are meant to outlive the CLI.
_STARTED: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class ProcessRecord:
    """What chirp remembers of a process it started."""

    pid: int
    started_at: float

    def process(self) -> psutil.Process | None:
        """The live process, or None when it has exited (or the pid was reused)."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.started_at) > 1.0:
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
        except psutil.Error:
            return None
        return proc

    def alive(self) -> bool:
        return self.process() is not None


def read_record(pid_file: Path) -> ProcessRecord | None:
    """The record in `pid_file`, or None when there is none or it is unreadable."""
    try:
        data = json.loads(pid_file.read_text())
        return ProcessRecord(pid=int(data["pid"]), started_at=float(data["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def spawn(
    argv: list[str],
    *,
    log_file: Path,
    pid_file: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    user: str | None = None,
) -> ProcessRecord:
    """Start `argv` in its own session with output appended to `log_file`; record its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            start_new_session=True,
            user=user,
        )
    _STARTED.append(proc)
    record = ProcessRecord(pid=proc.pid, started_at=psutil.Process(proc.pid).create_time())
    pid_file.write_text(json.dumps({"pid": record.pid, "started_at": record.started_at}))
    return record


def terminate(record: ProcessRecord, *, grace_s: float, sig: int = signal.SIGTERM) -> bool:
    """Send `sig` to the recorded process, then SIGKILL after `grace_s`; True if it was alive."""
    proc = record.process()
    if proc is None:
        return False
    try:
        proc.send_signal(sig)
        _, alive = psutil.wait_procs([proc], timeout=grace_s)
        if alive:
            proc.kill()
            psutil.wait_procs([proc], timeout=5)
    except psutil.NoSuchProcess:
        pass
    return True


def stop(pid_file: Path, *, grace_s: float, sig: int = signal.SIGTERM) -> bool:
    """Stop the process recorded in `pid_file`; the pid file is removed either way."""
    record = read_record(pid_file)
    stopped = terminate(record, grace_s=grace_s, sig=sig) if record else False
    pid_file.unlink(missing_ok=True)
    return stopped


def uptime_s(record: ProcessRecord) -> float:
    return max(0.0, time.time() - record.started_at)
