"""Errors chirp raises on purpose: every one is a ChirpError whose message is one line.

ChirpError                 every expected failure; `str(error)` is the line shown to the user
├── ConfigError            a setting, file or input is invalid or missing
│   ├── TomlFileError      a TOML file cannot be found or does not validate (`problems`)
│   │   ├── ScenarioError  ... a load scenario
│   │   └── DrillError     ... a chaos drill
│   ├── PopulationError    the seeded population is missing or malformed
│   └── ReportError        a stored load report cannot be read
├── PortInUse              a port the stack needs is taken (`port`, `setting`, `holder`)
├── ComponentFailed        a server did not start or did not pass its probe (`log_tail`)
├── MissingDependency      a binary, JDK or jar is not on this machine (`what`, `fix`)
├── FailoverFailed         a primary role could not be moved to a replica
├── NoNodeLease            this process holds no node id lease, so it cannot make ids
├── TraceNotFound          no span of a tweet was found (`tweet_id`)
├── RunFailed              a load run could not take place or measured nothing
├── GeneratorError         the load generator itself could not run
├── WorkerError            a load worker could not join its master or run its work
├── DrillCannotRun         a drill could not start or go on: stack, load or file unfit
├── FaultFailed            a drill's fault action could not be carried out
└── CastFailed             a drill's own users could not be created through the API

Not here, on purpose: exceptions that never leave their module's caller (the stack's
control flow such as a replayed idempotent post), the HTTP API's `ApiError`, and
`TextRejected`, a ValueError the tweet service turns into a 422 answer.
"""

from __future__ import annotations

from pathlib import Path


class ChirpError(Exception):
    """An expected failure; `str(error)` is the one line shown to the user."""


class ConfigError(ChirpError):
    pass


class TomlFileError(ConfigError):
    """A file that cannot be found or does not validate; `problems` lists each one."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class ScenarioError(TomlFileError):
    """A scenario that cannot be found or does not validate."""


class DrillError(TomlFileError):
    """A drill that cannot be found or does not validate; `problems` lists each one."""


class PopulationError(ConfigError):
    """The population is missing or malformed; the fix is to seed (again)."""


class ReportError(ConfigError):
    """A stored report that cannot be read."""


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


class NoNodeLease(ChirpError):
    """This process holds no valid node id lease, so it cannot make ids now."""


class TraceNotFound(ChirpError):
    """No span of the tweet was found in the run directory."""

    def __init__(self, tweet_id: int, traces_dir: Path, why: str) -> None:
        super().__init__(
            f"no trace of tweet {tweet_id}: {why}; post a tweet while the stack runs and "
            f"try `chirp trace ID --wait 30` (spans are read from {traces_dir})"
        )
        self.tweet_id = tweet_id


class RunFailed(ChirpError):
    """The run could not take place or measured nothing (exit code 2)."""


class GeneratorError(ChirpError):
    """The load generator itself could not run."""


class WorkerError(ChirpError):
    """The worker could not join its master or run what it was sent."""


class DrillCannotRun(ChirpError):
    """The drill could not start (or go on): the stack, the load or the drill file is not fit."""


class FaultFailed(ChirpError):
    """A fault action could not be carried out."""


class CastFailed(ChirpError):
    """The drill's own users could not be created through the API."""
