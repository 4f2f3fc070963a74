"""Before anything runs: is the stack fit for this drill? One clear reason when it is not."""

from __future__ import annotations

from typing import Any

from chirp.core.errors import DrillCannotRun
from chirp.core.settings import Settings
from chirp.infra.chaos.actions import ACTIONS
from chirp.infra.chaos.client import Api, Reply
from chirp.infra.chaos.faults import FaultProvider
from chirp.infra.chaos.loadproc import population_file
from chirp.infra.chaos.model import Drill
from chirp.infra.provision.local import provider


def check(
    settings: Settings, drill: Drill, faults: FaultProvider, api: Api, with_load: bool
) -> list[dict[str, Any]]:
    """Raise DrillCannotRun unless the drill can run; the components' status as it was."""
    _targets_exist(drill, faults.components())
    components = [s.as_dict() for s in provider.status(settings)]
    down = [str(c["name"]) for c in components if c["state"] != "up"]
    if down:
        raise DrillCannotRun(
            f"the stack is not fully up ({', '.join(down)} down); run `chirp up` first"
        )
    ready = api.call("GET", "/readyz")
    if ready.status != 200:
        raise DrillCannotRun(
            f"the load balancer at {api.base_url} is not ready ({_why(ready)}); "
            "check `chirp status`"
        )
    most = drill.requires.backpressure_lag_at_most
    if most is not None and settings.backpressure_lag > most:
        raise DrillCannotRun(
            f"{drill.name} needs backpressure within reach: the stack's CHIRP_BACKPRESSURE_LAG "
            f"is {settings.backpressure_lag}, the drill needs <= {most}; restart the stack with "
            f"`chirp down && CHIRP_BACKPRESSURE_LAG={most} chirp up` and run the drill with the "
            "same setting"
        )
    if with_load and not population_file(settings).is_file():
        raise DrillCannotRun(
            f"no seeded population for the background load ({population_file(settings)}); "
            "run `chirp seed --users 500 --tweets 5000 --reset` first, or pass --no-load"
        )
    return components


def _targets_exist(drill: Drill, names: list[str]) -> None:
    """The drill file was validated alone; now its targets against this stack's components."""
    for stage, actions in (("method", drill.method), ("rollbacks", drill.rollbacks)):
        for index, action in enumerate(actions):
            problems = ACTIONS[action.type].validate(action.params, names)
            if problems:
                raise DrillCannotRun(f"{drill.source}: {stage}[{index}]: {'; '.join(problems)}")


def _why(reply: Reply) -> str:
    if reply.status is None:
        return reply.error or "no answer"
    return f"HTTP {reply.status}"
