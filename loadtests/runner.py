"""The load generator: Locust through its library API, in this process or with workers.

`Generator` owns one Locust environment for a whole run and runs it in phases (a load
run has one; `chirp bench` several). With `workers=0` users run as greenlets in this
process (`create_local_runner`); with `workers=N` this process is a MasterRunner and N
local `loadtests.worker` processes run the users, sending their recorders back.

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

from loadtests.greenlets import patch_process

patch_process()

import gevent  # noqa: E402
import locust  # noqa: E402
from locust import LoadTestShape  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.runners import STATE_STOPPED, MasterRunner  # noqa: E402
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter  # noqa: E402

from infra.local.ports import free_port  # noqa: E402
from loadtests import hooks  # noqa: E402
from loadtests.context import RunContext, configure  # noqa: E402
from loadtests.journeys import user_classes  # noqa: E402
from loadtests.latency import warm_up  # noqa: E402
from loadtests.pacing import ScheduleStats  # noqa: E402
from loadtests.plan import LoadPlan  # noqa: E402
from loadtests.population import Population  # noqa: E402
from loadtests.recorder import Recorder  # noqa: E402
from loadtests.reliability import CpuWatch  # noqa: E402
from loadtests.stackmetrics import StackProbe, StackSample  # noqa: E402
from loadtests.worker import PHASE_MESSAGE, STATS_MESSAGE  # noqa: E402
from stack.errors import ChirpError  # noqa: E402

LOCUST_VERSION = locust.__version__
_WORKER_CONNECT_S = 90.0
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


class GeneratorError(ChirpError):
    """The load generator itself could not run."""


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
    """Locust in this process (`workers=0`) or a master with `workers` local processes."""

    def __init__(
        self,
        plan: LoadPlan,
        *,
        workers: int = 0,
        work_dir: Path,
        population: Population | None = None,
        csv_prefix: Path | None = None,
    ) -> None:
        self.plan = plan
        self.workers = workers
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
        self._log: logging.Handler | None = None

    @property
    def mode(self) -> str:
        """How the load is generated, as reports state it."""
        if self.workers:
            plural = "es" if self.workers > 1 else ""
            return f"locust-master + {self.workers} worker process{plural}"
        return "locust-local x1"

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
        until: Callable[[Tick], bool] | None = None,
    ) -> PhaseResult:
        """Run one stage table to its end, or until `until` (asked once a second) says
        so; return what it recorded."""
        runner = self.env.runner
        assert runner is not None, "start() the generator first"
        self._begin_phase()
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

    def _begin_phase(self) -> None:
        self._phase += 1
        if self.workers:
            self._merged = Recorder(self.plan.bucket_s)
            self._schedule = ScheduleStats()
            self._finals = set()
            self.env.runner.send_message(PHASE_MESSAGE, {"phase": self._phase})  # type: ignore[union-attr]
        self.ctx.start_phase(self._phase)

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
        port = free_port()
        runner = self.env.create_master_runner("127.0.0.1", port)
        assert isinstance(runner, MasterRunner)
        runner.register_message(STATS_MESSAGE, self._on_worker_stats)
        plan_file = self.plan.write(self.work_dir / "plan.json")
        for index in range(1, self.workers + 1):
            log = (self.work_dir / f"worker-{index}.log").open("wb")
            command = [
                sys.executable,
                "-m",
                "loadtests.worker",
                "--master-port",
                str(port),
                "--plan",
                str(plan_file),
            ]
            self._processes.append(
                subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            )
        self._wait_workers_ready(_WORKER_CONNECT_S)

    def _wait_workers_ready(self, timeout_s: float = _FINAL_REPORT_S) -> None:
        runner = self.env.runner
        assert isinstance(runner, MasterRunner)
        deadline = time.monotonic() + timeout_s
        while len(runner.clients.ready) < self.workers:
            dead = [p for p in self._processes if p.poll() is not None]
            if dead:
                raise GeneratorError(
                    f"a load generator worker exited (code {dead[0].returncode}); "
                    f"see {self.work_dir}/worker-*.log"
                )
            if time.monotonic() > deadline:
                raise GeneratorError(
                    f"only {len(runner.clients.ready)} of {self.workers} generator workers "
                    f"connected within {timeout_s:.0f}s; see {self.work_dir}/worker-*.log"
                )
            gevent.sleep(0.2)

    def _on_worker_stats(self, environment: Environment, msg: Any, **_: Any) -> None:
        data = msg.data
        if data["phase"] != self._phase:
            return  # a straggler from an earlier phase
        self._merged.merge(data["recorder"])
        self._schedule.merge(data["schedule"])
        if data["final"]:
            self._finals.add(msg.node_id)
