"""What every locally run server knows about itself.

A component obtains and configures its server (`prepare`), says how to run it
(`command`), proves it is ready with a real client (`probe`), and names the
ports it needs and the setting that moves each one. Starting, stopping and
reporting are the provider's job, the same for every component.
"""

from __future__ import annotations

import signal
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from chirp.core.settings import Settings


@dataclass(frozen=True)
class Port:
    """A port a component listens on and the setting that moves it."""

    number: int
    setting: str

    @property
    def env_var(self) -> str:
        return f"CHIRP_{self.setting.upper()}"


@dataclass(frozen=True)
class Problem:
    """Something this machine lacks, and the exact command that fixes it."""

    what: str
    fix: str


@dataclass
class Component(ABC):
    """One server chirp runs as a local process."""

    settings: Settings
    name: ClassVar[str]
    stop_signal: ClassVar[int] = signal.SIGTERM
    os_user: str | None = field(default=None)

    @property
    def home(self) -> Path:
        """This component's directory under the run directory: config and data."""
        return self.settings.run_dir.resolve() / self.name

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.settings.run_dir.resolve() / "logs" / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.settings.run_dir.resolve() / "pids" / f"{self.name}.pid"

    @abstractmethod
    def ports(self) -> list[Port]:
        """Every port this component binds."""

    @abstractmethod
    def problems(self) -> list[Problem]:
        """What is missing on this machine to run the component (empty when nothing)."""

    @abstractmethod
    def prepare(self) -> None:
        """Obtain binaries, write config, initialise data; idempotent."""

    @abstractmethod
    def command(self) -> list[str]:
        """The argv that runs the server in the foreground."""

    @abstractmethod
    def probe(self) -> None:
        """Raise unless a real client gets a real answer from the server."""

    def after_start(self) -> None:  # noqa: B027 - optional hook, most servers need nothing
        """Work that needs the server up (create a database, for instance)."""

    def env(self) -> dict[str, str]:
        return {}

    def endpoint(self) -> str:
        return f"{self.settings.host}:{self.ports()[0].number}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            with self.log_file.open(errors="replace") as handle:
                return "".join(deque(handle, maxlen=lines))
        except OSError:
            return ""
