"""Start a server as a detached process, remember it by pid, stop it by pid.

A pid file holds the pid and the process's start time, so a pid that the
kernel has since reused for another program is never mistaken for ours. On
Linux the start time compared is the kernel's own, in clock ticks since boot:
the wall-clock start psutil derives from it moves whenever the machine's clock
is stepped (seen here: 9 s on a busy VM), which would make every running server
look like a stranger that `chirp down` must not touch.
"""

from __future__ import annotations

import dataclasses
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
    start_ticks: int | None = None

    def process(self) -> psutil.Process | None:
        """The live process, or None when it has exited (or the pid was reused)."""
        try:
            proc = psutil.Process(self.pid)
            if not self._same_start(proc):
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
        except psutil.Error:
            return None
        return proc

    def _same_start(self, proc: psutil.Process) -> bool:
        ticks = start_ticks(self.pid)
        if self.start_ticks is not None and ticks is not None:
            return ticks == self.start_ticks
        return abs(proc.create_time() - self.started_at) <= 1.0

    def alive(self) -> bool:
        return self.process() is not None


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (Linux's /proc); None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # Field 22; the command name (field 2) is in parentheses and may hold spaces.
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def read_record(pid_file: Path) -> ProcessRecord | None:
    """The record in `pid_file`, or None when there is none or it is unreadable."""
    try:
        data = json.loads(pid_file.read_text())
        ticks = data.get("start_ticks")
        return ProcessRecord(
            pid=int(data["pid"]),
            started_at=float(data["started_at"]),
            start_ticks=None if ticks is None else int(ticks),
        )
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
    record = ProcessRecord(
        pid=proc.pid,
        started_at=psutil.Process(proc.pid).create_time(),
        start_ticks=start_ticks(proc.pid),
    )
    pid_file.write_text(json.dumps(dataclasses.asdict(record)))
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
