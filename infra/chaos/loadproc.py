"""The background load: `chirp load` as a child process, never imported.

The drill only knows the command's contract: exit 0 or 1 means the load ran (SLOs met or
not), 2 means the load itself failed; with `--json` it prints its summary on stdout. The
child gets its own session, so a Ctrl-C at the terminal reaches the drill, which then
stops the load itself (by the child's pid).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from chirp.core.settings import Settings
from chirp.infra.provision.local.env import settings_env

_POPULATION = Path("seed") / "population.json"  # where `chirp seed` leaves it (its contract)


def population_file(settings: Settings) -> Path:
    return settings.run_dir.resolve() / _POPULATION


class BackgroundLoad:
    """One `python -m chirp.cli.main load SCENARIO --duration N --report-dir DIR --json`."""

    def __init__(
        self, settings: Settings, scenario: str, duration_s: float, report_dir: Path
    ) -> None:
        self.settings = settings
        self.scenario = scenario
        self.duration_s = max(1, round(duration_s))
        self.report_dir = report_dir
        self.stdout_file = report_dir / "load-stdout.json"
        self.log_file = report_dir / "load.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self.stopped_early = False

    @property
    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "chirp.cli.main",
            "load",
            self.scenario,
            "--duration",
            str(self.duration_s),
            "--report-dir",
            str(self.report_dir),
            "--json",
        ]

    def start(self) -> None:
        self.report_dir.mkdir(parents=True, exist_ok=True)
        with self.stdout_file.open("wb") as out, self.log_file.open("wb") as log:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=log,
                env=settings_env(self.settings),
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def exit_code(self) -> int | None:
        """None while it runs (or before it started)."""
        return self._proc.poll() if self._proc else None

    def failed(self) -> bool:
        return self.exit_code() == 2

    def finish(self, wait_s: float) -> int | None:
        """Let it end by itself within `wait_s`, else stop it; its exit code."""
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return self.stop()

    def stop(self) -> int | None:
        """Interrupt, then terminate, then kill the child's process group (ours, by pid)."""
        if self._proc is None or self._proc.poll() is not None:
            return self.exit_code()
        self.stopped_early = True
        for sig, wait_s in ((signal.SIGINT, 15), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, sig)
            try:
                return self._proc.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                continue
        return self._proc.poll()

    def result(self) -> dict[str, Any]:
        """What the journal keeps of the load: exit code, verdict, a few figures."""
        code = self.exit_code()
        status = {None: "not run", 0: "ran, SLOs met", 1: "ran, an SLO breached"}.get(
            code, "stopped by the drill" if self.stopped_early else "failed"
        )
        summary: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            summary = json.loads(self.stdout_file.read_text() or "{}")
        return {
            "scenario": self.scenario,
            "argv": self.argv[2:],
            "exit_code": code,
            "status": status,
            "ran": code in (0, 1) or (self.stopped_early and code is not None),
            "stopped_early": self.stopped_early,
            "report_dir": str(self.report_dir),
            "log": str(self.log_file),
            "summary": {
                k: summary[k] for k in ("exit_code", "elapsed_s", "totals", "slo") if k in summary
            },
            "log_tail": self.log_tail(),
        }

    def log_tail(self, lines: int = 3) -> str:
        try:
            return "\n".join(
                self.log_file.read_text(errors="replace").strip().splitlines()[-lines:]
            )
        except OSError:
            return ""
