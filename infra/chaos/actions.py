"""Fault actions, registered by type as `validate_<type>` / `run_<type>` pairs.

`validate_x(params, components)` only looks at the drill file's fields (and, when the
running stack is known, its component names) and returns problems; it never touches the
stack. `run_x(context, params)` acts through the context's provider faults (or the stack's
own clients) and returns one line saying what it did. Each type declares the provider
faults it needs, so preflight can refuse a drill the chosen provider cannot carry out.
A drill names an action by its type:

    [[method]]
    type = "kill"
    target = "gateway-1"
    after_s = 0
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from chirp.core.components import EDGE, ROLE_TARGETS, could_be_component, known_names
from chirp.core.provider import Fault, Faults, StatusCallback
from chirp.infra.chaos.stackops import StackOps

Params = Mapping[str, Any]
Validator = Callable[[Params, Collection[str] | None], list[str]]


@dataclass
class ActionContext:
    """What a running action may use: the provider's faults, the stack's own clients,
    progress, and the stop request."""

    faults: Faults
    stack: StackOps
    on_status: StatusCallback
    stop: threading.Event


Runner = Callable[[ActionContext, Params], str]


@dataclass
class ActionRecord:
    """What one action did in a run, as the journal keeps it."""

    stage: str
    """method or rollback"""
    type: str
    description: str
    planned_s: float | None
    started_s: float
    ended_s: float | None = None
    ok: bool | None = None
    detail: str = ""


@dataclass(frozen=True)
class ActionType:
    name: str
    summary: str
    validate: Validator
    run: Runner
    needs: frozenset[Fault] = frozenset()
    """The provider faults it acts through."""

    def describe(self, params: Params) -> str:
        targets = _targets(params)
        if targets:
            return f"{self.name} {', '.join(targets)}"
        if "seconds" in params:
            return f"{self.name} {params['seconds']}s"
        if "lag" in params:
            return f"{self.name} {params['lag']}"
        return self.name


ACTIONS: dict[str, ActionType] = {}
"""Every action type a drill may name."""

FAILOVER_ACTIONS = ("await_redis_failover", "promote_postgres")
"""Actions that end with a new primary in place: the journal measures `new_primary_s`."""


def register(
    name: str, summary: str, validate: Validator, run: Runner, needs: Collection[Fault] = ()
) -> None:
    """Make `name` available to drill files; `needs` are the provider faults it uses."""
    ACTIONS[name] = ActionType(name, summary, validate, run, frozenset(needs))


def _targets(params: Params) -> list[str]:
    if "targets" in params and isinstance(params["targets"], list):
        return [str(t) for t in params["targets"]]
    if "target" in params:
        return [str(params["target"])]
    return []


def _only(params: Params, allowed: Collection[str]) -> list[str]:
    return [f"{key}: unknown field" for key in params if key not in allowed]


def _validate_targets(params: Params, components: Collection[str] | None) -> list[str]:
    problems = _only(params, ("target", "targets"))
    if ("target" in params) == ("targets" in params):
        return [*problems, "give either target (one component) or targets (a list)"]
    if "target" in params and not isinstance(params["target"], str):
        return [*problems, "target: must be a component name"]
    if "targets" in params and (
        not isinstance(params["targets"], list)
        or not params["targets"]
        or not all(isinstance(t, str) for t in params["targets"])
    ):
        return [*problems, "targets: must be a non-empty list of component names"]
    for target in _targets(params):
        known = target in ROLE_TARGETS or (
            target in components if components is not None else could_be_component(target)
        )
        if not known:
            choices = [*(components if components is not None else known_names()), *ROLE_TARGETS]
            problems.append(
                f"target: no component named {target!r}; choose from {', '.join(choices)}"
            )
    return problems


def _validate_nothing(params: Params, components: Collection[str] | None) -> list[str]:
    return _only(params, ())


def validate_kill(params: Params, components: Collection[str] | None) -> list[str]:
    return _validate_targets(params, components)


def _nodes(context: ActionContext, params: Params) -> list[str]:
    return [context.faults.resolve(t) for t in _targets(params)]


def run_kill(context: ActionContext, params: Params) -> str:
    return "; ".join(context.faults.kill(t) for t in _nodes(context, params))


def validate_stop(params: Params, components: Collection[str] | None) -> list[str]:
    return _validate_targets(params, components)


def run_stop(context: ActionContext, params: Params) -> str:
    return "; ".join(context.faults.pause(t) for t in _nodes(context, params))


def validate_resume(params: Params, components: Collection[str] | None) -> list[str]:
    return _validate_targets(params, components)


def run_resume(context: ActionContext, params: Params) -> str:
    return "; ".join(context.faults.resume(t) for t in _nodes(context, params))


def validate_stop_component(params: Params, components: Collection[str] | None) -> list[str]:
    return _validate_targets(params, components)


def run_stop_component(context: ActionContext, params: Params) -> str:
    return "; ".join(context.faults.stop(t) for t in _nodes(context, params))


def validate_restart(params: Params, components: Collection[str] | None) -> list[str]:
    return _validate_nothing(params, components)


def run_restart(context: ActionContext, params: Params) -> str:
    down = context.faults.down()
    if not down:
        return "nothing was down"
    return f"{', '.join(down)} down; " + context.faults.restart(context.on_status)


def validate_flush_redis(params: Params, components: Collection[str] | None) -> list[str]:
    return _validate_nothing(params, components)


def run_flush_redis(context: ActionContext, params: Params) -> str:
    return context.stack.flush_cache()


def validate_wait(params: Params, components: Collection[str] | None) -> list[str]:
    problems = _only(params, ("seconds",))
    seconds = params.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        problems.append("seconds: must be a number above 0")
    return problems


def run_wait(context: ActionContext, params: Params) -> str:
    interrupted = context.stop.wait(float(params["seconds"]))
    return "interrupted" if interrupted else f"waited {params['seconds']}s"


def validate_await_redis_failover(params: Params, components: Collection[str] | None) -> list[str]:
    problems = _only(params, ("timeout_s",))
    timeout = params.get("timeout_s", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.append("timeout_s: must be a number above 0")
    return problems


def run_await_redis_failover(context: ActionContext, params: Params) -> str:
    return context.faults.await_redis_failover(float(params.get("timeout_s", 30)))


def validate_promote_postgres(params: Params, components: Collection[str] | None) -> list[str]:
    problems = _only(params, ("rejoin",))
    if not isinstance(params.get("rejoin", True), bool):
        problems.append("rejoin: must be true or false")
    return problems


def run_promote_postgres(context: ActionContext, params: Params) -> str:
    return context.faults.promote_postgres(context.on_status, bool(params.get("rejoin", True)))


def validate_set_backpressure(params: Params, components: Collection[str] | None) -> list[str]:
    problems = _only(params, ("lag",))
    lag = params.get("lag")
    if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
        problems.append("lag: must be a whole number of events, 0 or more")
    return problems


def run_set_backpressure(context: ActionContext, params: Params) -> str:
    return context.stack.set_backpressure(int(params["lag"]))


def validate_restore_backpressure(params: Params, components: Collection[str] | None) -> list[str]:
    return _validate_nothing(params, components)


def run_restore_backpressure(context: ActionContext, params: Params) -> str:
    return context.stack.restore_backpressure()


register("kill", "SIGKILL a component by its recorded pid", validate_kill, run_kill, [Fault.KILL])
register(
    "stop",
    "SIGSTOP a component (it keeps its sockets, answers nothing)",
    validate_stop,
    run_stop,
    [Fault.PAUSE],
)
register("resume", "SIGCONT a stopped component", validate_resume, run_resume, [Fault.PAUSE])
register(
    "stop_component",
    "stop a component gracefully (its stop signal, then SIGKILL after the grace period)",
    validate_stop_component,
    run_stop_component,
    [Fault.STOP],
)
register(
    "restart",
    "bring back every component that is not running (`chirp up` starts only what is missing)",
    validate_restart,
    run_restart,
    [Fault.RESTART],
)
register("flush_redis", "FLUSHALL on Redis through redis-py", validate_flush_redis, run_flush_redis)
register("wait", "pause the method for `seconds`", validate_wait, run_wait)
register(
    "await_redis_failover",
    "wait until Sentinel promotes a replica in place of the Redis primary a drill lost",
    validate_await_redis_failover,
    run_await_redis_failover,
    [Fault.FAILOVER],
)
register(
    "promote_postgres",
    "promote a PostgreSQL standby (`chirp failover postgres`); the old primary rejoins as its "
    "standby unless rejoin = false",
    validate_promote_postgres,
    run_promote_postgres,
    [Fault.FAILOVER],
)
register(
    "set_backpressure",
    "set every gateway's backpressure threshold (fan-out lag past which posts get 429) to "
    "`lag` at run time, no restart",
    validate_set_backpressure,
    run_set_backpressure,
)
register(
    "restore_backpressure",
    "put back the backpressure threshold a set_backpressure changed",
    validate_restore_backpressure,
    run_restore_backpressure,
)


# The edge drills (see infra/chaos/edge.py): traffic through the edge around its loss, and
# deletes under traffic that the edge must not serve after their purge window.

_EDGE_LOSS = {"before_s": 10, "down_s": 10, "recover_within_s": 60, "rate": 100}
_EDGE_STALE = {"tweets": 5, "window_s": 1, "watch_s": 3}


def _positive_numbers(params: Params, defaults: Mapping[str, float]) -> list[str]:
    problems = _only(params, tuple(defaults))
    for key in defaults:
        value = params.get(key, defaults[key])
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.append(f"{key}: must be a number above 0")
    return problems


def validate_edge_loss(params: Params, components: Collection[str] | None) -> list[str]:
    return _positive_numbers(params, _EDGE_LOSS)


def run_edge_loss(context: ActionContext, params: Params) -> str:
    from chirp.infra.chaos import edge

    options = {key: float(params.get(key, value)) for key, value in _EDGE_LOSS.items()}
    return edge.run_edge_loss(
        context.faults.settings,
        context.faults.edge_counters,
        lambda: context.faults.kill(EDGE),
        lambda: context.faults.restart(context.on_status),
        context.stop,
        **options,
    )


def validate_edge_stale(params: Params, components: Collection[str] | None) -> list[str]:
    return _positive_numbers(params, _EDGE_STALE)


def run_edge_stale(context: ActionContext, params: Params) -> str:
    from chirp.infra.chaos import edge

    return edge.run_edge_stale(
        context.faults.settings,
        context.stop,
        tweets=int(params.get("tweets", _EDGE_STALE["tweets"])),
        window_s=float(params.get("window_s", _EDGE_STALE["window_s"])),
        watch_s=float(params.get("watch_s", _EDGE_STALE["watch_s"])),
    )


register(
    "edge_loss",
    "read media and tweets through the edge, SIGKILL the edge, read around it from the origin, "
    "bring it back and wait for its hit ratio to pass 0.9 (fails past recover_within_s)",
    validate_edge_loss,
    run_edge_loss,
    [Fault.KILL, Fault.RESTART, Fault.EDGE],
)
register(
    "edge_stale",
    "delete tweets the edge holds, under traffic; fails if the edge serves one after window_s",
    validate_edge_stale,
    run_edge_stale,
)
