"""The load generator: Locust through its library API, in this process or with workers.

`Generator` owns one Locust environment for a whole run and runs it in phases (a load
run has one; `chirp bench` several). With `workers=0` and no remote workers, users run
as greenlets in this process (`create_local_runner`). Otherwise this process is a
MasterRunner: it starts `workers` local `loadtests.worker` processes and waits for
`remote.expected` more (`chirp load-worker` on other hosts) at `remote.bind`. Each
worker gets the plan and the population over Locust's messages when it greets the
master, runs the users, and sends its recorder back; the master merges them.

Import this module only from a load command: it patches the process for gevent.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chirp.loadtests.greenlets import patch_process

patch_process()

import gevent  # noqa: E402
import locust  # noqa: E402
from locust import LoadTestShape  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.runners import STATE_STOPPED, MasterRunner  # noqa: E402
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter  # noqa: E402

from chirp.core.errors import GeneratorError  # noqa: E402
from chirp.infra.provision.local.ports import free_port  # noqa: E402
from chirp.loadtests import hooks  # noqa: E402
from chirp.loadtests.context import RunContext, configure  # noqa: E402
from chirp.loadtests.journeys import user_classes  # noqa: E402
from chirp.loadtests.latency import warm_up  # noqa: E402
from chirp.loadtests.pacing import ScheduleStats  # noqa: E402
from chirp.loadtests.plan import LoadPlan  # noqa: E402
from chirp.loadtests.population import Population  # noqa: E402
from chirp.loadtests.recorder import Recorder  # noqa: E402
from chirp.loadtests.reliability import CpuWatch  # noqa: E402
from chirp.loadtests.stackmetrics import StackProbe, StackSample  # noqa: E402
from chirp.loadtests.worker import (  # noqa: E402
    CONFIGURED_MESSAGE,
    HELLO_MESSAGE,
    PHASE_MESSAGE,
    SETUP_MESSAGE,
    STATS_MESSAGE,
    MasterAddress,
    RemoteWorkers,
)

LOCUST_VERSION = locust.__version__
_WORKER_CONNECT_S = 90.0
_REMOTE_CONNECT_S = 600.0
"""How long a master waits for workers on other hosts to join."""
_FINAL_REPORT_S = 10.0
_STACK_SAMPLE_EVERY_S = 2.0


def _log_to(path: Path) -> logging.Handler:
    """Locust logs (tracebacks of journey bugs included) go to a file, never to the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler


class StageShape(LoadTestShape):
    """A stage table: (until_s, users, spawn_rate) rows, optionally for some user classes."""

    def __init__(
        self, stages: list[tuple[float, int, float]], classes: list[type] | None = None
    ) -> None:
        super().__init__()
        self.stages = stages
        self.classes = classes

    def tick(self) -> tuple[int, float] | tuple[int, float, list[type]] | None:
        run_time = self.get_run_time()
        for until_s, users, spawn_rate in self.stages:
            if run_time < until_s:
                if self.classes is None:
                    return users, spawn_rate
                return users, spawn_rate, self.classes
        return None


@dataclass
class Tick:
    """What the live display shows, once a second."""

    elapsed_s: float
    duration_s: float
    users: int
    recorder: Recorder
    generator_cpu: float | None
    stack: StackSample | None
    schedule: ScheduleStats | None


@dataclass
class PhaseResult:
    recorder: Recorder
    schedule: ScheduleStats | None
    started_at: float
    finished_at: float
    cpu: dict[str, list[float]]
    system_cpu: list[float]
    stack_samples: list[StackSample] = field(default_factory=list)
    exceptions: int = 0  # errors inside the journeys' own code (a generator bug, not the stack's)


class Generator:
    """Locust in this process, or a master with local and remote worker processes."""

    def __init__(
        self,
        plan: LoadPlan,
        *,
        workers: int = 0,
        work_dir: Path,
        population: Population | None = None,
        csv_prefix: Path | None = None,
        remote: RemoteWorkers | None = None,
    ) -> None:
        self.plan = plan
        self.local_workers = workers
        self.remote = remote if remote is not None and remote.expected > 0 else None
        self.workers = workers + (self.remote.expected if self.remote else 0)
        """Every worker process, local and remote, the master waits for."""
        self.work_dir = work_dir
        self.ctx: RunContext = configure(plan, population)
        self.classes = user_classes(plan)
        self.env = Environment(user_classes=list(self.classes.values()), host=plan.host)
        self._csv_prefix = csv_prefix
        self._csv: StatsCSVFileWriter | None = None
        self._csv_greenlet: gevent.Greenlet | None = None
        self._processes: list[subprocess.Popen[bytes]] = []
        self._phase = 0
        self._merged = Recorder(plan.bucket_s)
        self._schedule = ScheduleStats()
        self._finals: set[str] = set()
        self._configured: set[str] = set()
        self._log: logging.Handler | None = None

    @property
    def mode(self) -> str:
        """How the load is generated, as reports state it."""
        if not self.workers:
            return "locust-local x1"
        parts = []
        if self.local_workers:
            parts.append(
                f"{self.local_workers} worker process{'es' if self.local_workers > 1 else ''}"
            )
        if self.remote:
            count = self.remote.expected
            parts.append(f"{count} remote worker{'s' if count > 1 else ''}")
        return "locust-master + " + " + ".join(parts)

    @property
    def processes(self) -> int:
        return max(1, self.workers)

    def __enter__(self) -> Generator:
        try:
            self.start()
        except BaseException:
            self.close()  # workers that did start must not outlive a failed start
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def start(self) -> None:
        warm_up()
        self._log = _log_to(self.work_dir / "generator.log")
        if self.workers:
            self._start_master()
        else:
            self.env.events.request.add_listener(hooks.on_request)
            self.env.create_local_runner()
        if self._csv_prefix is not None:
            self._csv = StatsCSVFileWriter(
                self.env, PERCENTILES_TO_REPORT, str(self._csv_prefix), full_history=True
            )
            self._csv_greenlet = gevent.spawn(self._csv.stats_writer)

    def run_phase(
        self,
        stages: list[tuple[float, int, float]],
        *,
        journeys: list[str] | None = None,
        probe: StackProbe | None = None,
        on_tick: Callable[[Tick], None] | None = None,
        rate_stages: list[tuple[float, float]] | None = None,
        user_fraction: float | None = None,
        until: Callable[[Tick], bool] | None = None,
    ) -> PhaseResult:
        """Run one stage table to its end, or until `until` (asked once a second) says
        so; return what it recorded.

        With `rate_stages` the phase is open-model at those arrival rates, each user
        taking `user_fraction` of them (1 / users when a phase runs one journey)."""
        runner = self.env.runner
        assert runner is not None, "start() the generator first"
        self._begin_phase(rate_stages, user_fraction)
        duration = stages[-1][0]
        classes = [self.classes[j] for j in journeys] if journeys else None
        shape = StageShape(stages, classes)
        self.env.shape_class = shape
        shape.runner = runner
        cpu = CpuWatch(self._generator_pids())
        samples: list[StackSample] = []
        started_wall, started = time.time(), time.monotonic()
        if probe is not None:
            samples.append(probe.sample(0.0))
        runner.start_shape()
        last_probe, deadline = started, started + duration
        while (now := time.monotonic()) < deadline:
            gevent.sleep(min(1.0, deadline - now))
            elapsed = time.monotonic() - started
            cpu.sample()
            if probe is not None and time.monotonic() - last_probe >= _STACK_SAMPLE_EVERY_S:
                samples.append(probe.sample(elapsed))
                last_probe = time.monotonic()
            tick = self._tick(elapsed, duration, cpu, samples)
            if on_tick is not None:
                on_tick(tick)
            if runner.state == STATE_STOPPED or (until is not None and until(tick)):
                break
        finished_wall = time.time()
        runner.stop()
        recorder, schedule = self._end_phase()
        if probe is not None:
            samples.append(probe.sample(time.monotonic() - started))
        return PhaseResult(
            recorder=recorder,
            schedule=schedule if self.ctx.open_model else None,
            started_at=started_wall,
            finished_at=finished_wall,
            cpu=cpu.samples,
            system_cpu=cpu.system,
            stack_samples=samples,
            exceptions=sum(int(e["count"]) for e in runner.exceptions.values()),
        )

    def close(self) -> None:
        """Stop every user, the workers and the CSV writer; fire Locust's `quitting`."""
        runner = self.env.runner
        if runner is not None:
            runner.quit()
        if self._csv is not None:
            if self._csv_greenlet is not None:
                gevent.sleep(1.1)  # one more pass writes the final figures
                self._csv_greenlet.kill(block=True)
            self._csv.close_files()
            self._csv = None
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.env.events.quitting.fire(environment=self.env, reverse=True)
        if self._log is not None:
            logging.getLogger().removeHandler(self._log)
            self._log.close()

    @property
    def recorder(self) -> Recorder:
        """Everything recorded so far in this phase, across generator processes."""
        return self._merged if self.workers else self.ctx.recorder

    def _begin_phase(
        self, rate_stages: list[tuple[float, float]] | None, user_fraction: float | None
    ) -> None:
        self._phase += 1
        phase = {"phase": self._phase, "rate_stages": rate_stages, "user_fraction": user_fraction}
        if self.workers:
            self._merged = Recorder(self.plan.bucket_s)
            self._schedule = ScheduleStats()
            self._finals = set()
            self.env.runner.send_message(PHASE_MESSAGE, phase)  # type: ignore[union-attr]
        self.ctx.start_phase(self._phase, rate_stages, user_fraction)

    def _end_phase(self) -> tuple[Recorder, ScheduleStats]:
        if not self.workers:
            self.ctx.close_schedules()
            return self.ctx.recorder, self.ctx.schedule_stats
        deadline = time.monotonic() + _FINAL_REPORT_S
        while len(self._finals) < self.workers and time.monotonic() < deadline:
            gevent.sleep(0.1)
        self._wait_workers_ready()
        return self._merged, self._schedule

    def _tick(
        self, elapsed: float, duration: float, cpu: CpuWatch, samples: list[StackSample]
    ) -> Tick:
        runner = self.env.runner
        return Tick(
            elapsed_s=elapsed,
            duration_s=duration,
            users=runner.user_count if runner is not None else 0,
            recorder=self.recorder,
            generator_cpu=cpu.last(),
            stack=samples[-1] if samples else None,
            schedule=self._schedule if self.workers else self.ctx.schedule_stats,
        )

    def _generator_pids(self) -> dict[str, int]:
        pids = {"master" if self.workers else "local": os.getpid()}
        for index, process in enumerate(self._processes, start=1):
            pids[f"worker-{index}"] = process.pid
        return pids

    def _start_master(self) -> None:
        bind = self.remote.bind if self.remote else MasterAddress("127.0.0.1")
        port = bind.port or free_port()
        runner = self.env.create_master_runner(bind.host, port)
        assert isinstance(runner, MasterRunner)
        runner.register_message(STATS_MESSAGE, self._on_worker_stats)
        runner.register_message(HELLO_MESSAGE, self._on_worker_hello)
        runner.register_message(CONFIGURED_MESSAGE, self._on_worker_configured)
        master = f"{bind.connect_host}:{port}"
        for index in range(1, self.local_workers + 1):
            log = (self.work_dir / f"worker-{index}.log").open("wb")
            command = [sys.executable, "-m", "chirp.loadtests.worker", "--master", master]
            self._processes.append(
                subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            )
        self._wait_workers_ready(_REMOTE_CONNECT_S if self.remote else _WORKER_CONNECT_S)

    def _wait_workers_ready(self, timeout_s: float = _FINAL_REPORT_S) -> None:
        """Until every expected worker is connected, configured and idle."""
        runner = self.env.runner
        assert isinstance(runner, MasterRunner)
        deadline = time.monotonic() + timeout_s
        while len(runner.clients.ready) < self.workers or len(self._configured) < self.workers:
            dead = [p for p in self._processes if p.poll() is not None]
            if dead:
                raise GeneratorError(
                    f"a load generator worker exited (code {dead[0].returncode}); "
                    f"see {self.work_dir}/worker-*.log"
                )
            if time.monotonic() > deadline:
                hint = (
                    f" (remote ones join with `chirp load-worker --master {self.remote.bind}`)"
                    if self.remote
                    else ""
                )
                raise GeneratorError(
                    f"only {len(self._configured)} of {self.workers} generator workers "
                    f"joined within {timeout_s:.0f}s; see {self.work_dir}/worker-*.log{hint}"
                )
            gevent.sleep(0.2)

    def _on_worker_hello(self, environment: Environment, msg: Any, **_: Any) -> None:
        """Send a newly joined worker what it needs to act as the population."""
        setup = {
            "plan": self.plan.to_json(),
            "population": self.ctx.population.model_dump(mode="json"),
            "phase": self._phase,
        }
        self.env.runner.send_message(SETUP_MESSAGE, setup, client_id=msg.node_id)  # type: ignore[union-attr]

    def _on_worker_configured(self, environment: Environment, msg: Any, **_: Any) -> None:
        self._configured.add(msg.node_id)

    def _on_worker_stats(self, environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data
        if data["phase"] != self._phase:
            return  # a straggler from an earlier phase
        self._merged.merge(data["recorder"])
        self._schedule.merge(data["schedule"])
        if data["final"]:
            self._finals.add(msg.node_id)
