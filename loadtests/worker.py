"""A generator worker: Locust's WorkerRunner joined to a `chirp load` or `chirp bench` master.

Local workers are started by the master (`python -m chirp.loadtests.worker --master HOST:PORT`);
workers on other hosts by `chirp load-worker --master HOST:PORT`. Either way the worker
arrives knowing nothing: it greets the master, the master answers with the load plan
and the seeded population over Locust's own message channel, and only then does the
worker say it is ready for users. It sends the master its recorder every second and
once more, marked final, when a phase stops.

No Locust import at module level: the CLI imports `MasterAddress` unpatched.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import socket
import sys
from dataclasses import dataclass
from typing import Any

from chirp.core.errors import ConfigError, WorkerError
from chirp.loadtests.greenlets import patch_process

STATS_MESSAGE = "chirp_stats"
PHASE_MESSAGE = "chirp_phase"
HELLO_MESSAGE = "chirp_hello"
"""Worker → master, once its handlers are in place: send me the plan."""
SETUP_MESSAGE = "chirp_setup"
"""Master → that worker: the plan, the population and the current phase."""
CONFIGURED_MESSAGE = "chirp_configured"
"""Worker → master: configured; users may be spawned here."""
DEFAULT_MASTER_PORT = 5557
"""Locust's own default master port, used when remote workers are expected."""
_SEND_EVERY_S = 1.0


@dataclass(frozen=True)
class MasterAddress:
    """Where a master listens (`HOST[:PORT]`); port None means pick one."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, text: str, *, default_port: int | None = None) -> MasterAddress:
        host, sep, port = text.strip().rpartition(":")
        if not sep or (":" in host and not host.endswith("]")):  # no port, or a bare IPv6 address
            host, port = text.strip(), ""
        host = host.strip("[]")
        if not host or (port and not port.isdigit()) or (port and not 0 < int(port) < 65536):
            raise ConfigError(f"{text!r} is not HOST[:PORT], e.g. 0.0.0.0:5557")
        return cls(host, int(port) if port else default_port)

    @property
    def connect_host(self) -> str:
        """Where a worker on the master's own host connects."""
        return "127.0.0.1" if self.host in ("0.0.0.0", "", "*", "::") else self.host

    def __str__(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


@dataclass(frozen=True)
class RemoteWorkers:
    """Workers on other hosts a master waits for, and where it listens for them."""

    expected: int
    bind: MasterAddress


@dataclass
class WorkerReport:
    """What one worker did, as it tells its operator on exit."""

    phases: int = 0
    requests_sent: int = 0
    """Requests this worker reported to the master, up to each phase's final report."""


def run_worker(master: MasterAddress, *, target: str | None = None) -> WorkerReport:
    """Join `master`, run the users it asks for until it quits; the process must already
    be patched for gevent. `target` replaces the plan's base URL (the stack as this host
    reaches it)."""
    import gevent
    from locust.env import Environment

    from chirp.loadtests import hooks

    if master.port is None:
        raise ConfigError(f"the master address {master} needs a port, e.g. {master}:5557")
    report = WorkerReport()
    env = Environment(user_classes=[], host=target)
    env.events.request.add_listener(hooks.on_request)
    try:
        runner = env.create_worker_runner(master.host, master.port)
    except ConnectionError as error:
        raise WorkerError(
            f"no load master answered at {master}; start `chirp load ... --expect-workers N "
            f"--master-bind {master}` there first"
        ) from error
    configured: dict[str, Any] = {}

    def send(final: bool) -> None:
        if "ctx" not in configured:
            return
        message = hooks.stats_message(final)
        if not report_closed(message):
            recorded = message["recorder"]
            report.requests_sent += sum(
                e["requests"]
                for section in ("endpoints", "warmup")
                for e in recorded.get(section, {}).values()
            )
        runner.send_message(STATS_MESSAGE, message)
        if final:
            configured["closed_phase"] = message["phase"]

    def report_closed(message: dict[str, Any]) -> bool:
        return configured.get("closed_phase") == message["phase"]

    def on_setup(environment: Environment, msg: Any, **_: Any) -> None:
        configured["ctx"] = _configure(environment, msg.data, target)
        runner.send_message(CONFIGURED_MESSAGE, {"host": socket.gethostname()})

    def on_phase(environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data
        stages = data.get("rate_stages")
        configured["ctx"].start_phase(
            int(data["phase"]),
            [tuple(s) for s in stages] if stages else None,
            data.get("user_fraction"),
        )
        report.phases += 1

    def on_test_stop(**_: Any) -> None:
        if "ctx" in configured:
            configured["ctx"].close_schedules()
            send(final=True)

    def keep_sending() -> None:
        while True:
            gevent.sleep(_SEND_EVERY_S)
            send(final=False)

    runner.register_message(SETUP_MESSAGE, on_setup)
    runner.register_message(PHASE_MESSAGE, on_phase)
    env.events.test_stop.add_listener(on_test_stop)
    runner.send_message(HELLO_MESSAGE, {"host": socket.gethostname()})
    gevent.spawn(keep_sending)
    runner.greenlet.join()
    return report


def _configure(environment: Any, data: dict[str, Any], target: str | None) -> Any:
    """This process's load context from the master's setup message."""
    from chirp.loadtests.context import configure
    from chirp.loadtests.journeys import user_classes
    from chirp.loadtests.plan import LoadPlan
    from chirp.loadtests.population import Population

    plan = LoadPlan.from_json(data["plan"])
    if target:
        plan = dataclasses.replace(plan, host=target.rstrip("/"))
    ctx = configure(plan, Population.model_validate(data["population"]))
    environment.host = plan.host
    environment.user_classes[:] = list(user_classes(plan).values())
    if data.get("phase"):
        ctx.start_phase(int(data["phase"]))
    return ctx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chirp.loadtests.worker")
    parser.add_argument("--master", required=True, help="HOST:PORT of the master")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    patch_process()
    run_worker(MasterAddress.parse(args.master))
    return 0


if __name__ == "__main__":
    sys.exit(main())
