"""Errors chirp raises on purpose.

ChirpError                 every expected failure; its message is one line for the user
├── ConfigError            a setting is invalid or missing
├── PortInUse              a port the stack needs is taken
├── ComponentFailed        a server did not start or did not pass its probe
├── MissingDependency      a binary, JDK or jar is not on this machine
└── FailoverFailed         a primary role could not be moved to a replica
"""

from __future__ import annotations


class ChirpError(Exception):
    """An expected failure; `str(error)` is the one line shown to the user."""


class ConfigError(ChirpError):
    pass


class PortInUse(ChirpError):
    def __init__(self, port: int, setting: str, holder: str | None) -> None:
        who = f" by {holder}" if holder else ""
        super().__init__(
            f"port {port} is already in use{who}; stop that process or move chirp with "
            f"{setting}=<free port>"
        )
        self.port = port
        self.setting = setting
        self.holder = holder


class ComponentFailed(ChirpError):
    def __init__(self, component: str, reason: str, log_tail: str = "") -> None:
        super().__init__(f"{component} failed: {reason}")
        self.component = component
        self.reason = reason
        self.log_tail = log_tail


class MissingDependency(ChirpError):
    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what} is missing; fix with: {fix}")
        self.what = what
        self.fix = fix


class FailoverFailed(ChirpError):
    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what} failover failed: {reason}")
        self.what = what
        self.reason = reason
