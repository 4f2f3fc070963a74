"""Drill files: every shipped one validates, bad ones are refused whole, naming file and field."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from chirp.core.errors import DrillError
from chirp.infra.chaos import ACTIONS, available, load_drill, parse_drill
from chirp.infra.chaos.actions import ActionContext
from chirp.infra.chaos.model import Condition, Drill

SHIPPED = ("broker-outage", "cache-loss", "cache-loss-kill", "gateway-failover", "kafka-lag",
           "pg-primary-loss", "pg-replica-loss", "redis-primary-loss", "search-outage",
           "worker-crash")  # fmt: skip

MINIMAL = """\
description = "kill a gateway"

[[method]]
type = "kill"
target = "gateway-1"

[[rollbacks]]
type = "restart"
"""


def write(tmp_path: Path, text: str, name: str = "drill.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_drill_validates(name):
    drill = load_drill(name)
    assert drill.name == name
    assert drill.description
    assert drill.method, "a drill injects something"
    assert drill.rollbacks, "every shipped drill can undo what it did"
    assert drill.hypothesis, "every shipped drill states a hypothesis"


def test_list_names_exactly_the_shipped_drills():
    assert set(SHIPPED) <= set(available())


def test_a_minimal_drill_gets_defaults(tmp_path):
    drill = parse_drill(write(tmp_path, MINIMAL))
    assert drill.name == "drill"
    assert drill.timing.baseline_s > 0
    assert drill.load.scenario
    assert drill.ledger.checks == ["timeline", "feeds", "search"]


def test_rollbacks_are_listed_in_order(tmp_path):
    text = MINIMAL + '\n[[rollbacks]]\ntype = "resume"\ntargets = ["fanout", "notify"]\n'
    drill = parse_drill(write(tmp_path, text))
    assert [r.describe() for r in drill.rollbacks] == ["restart", "resume fanout, notify"]


def test_unknown_action_type_is_refused_before_anything_runs(tmp_path, monkeypatch):
    ran = []
    for name, action in list(ACTIONS.items()):
        spy = dataclasses.replace(action, run=lambda *args: ran.append(args) or "ran")
        monkeypatch.setitem(ACTIONS, name, spy)
    path = write(tmp_path, MINIMAL.replace('type = "kill"', 'type = "explode"'))
    with pytest.raises(DrillError) as refused:
        parse_drill(path)
    message = str(refused.value)
    assert str(path) in message
    assert "method[0].type" in message
    assert "explode" in message
    assert ran == []


def test_every_problem_is_reported_with_file_and_field(tmp_path):
    path = write(
        tmp_path,
        """\
        description = "broken in three places"

        [timing]
        baseline_s = -1

        [[hypothesis]]
        name = "p"
        phase = "sometime"
        metric = "error_rate"
        max = 1

        [[method]]
        type = "kill"
        target = "gateway-1"
        """,
    )
    with pytest.raises(DrillError) as refused:
        parse_drill(path)
    problems = refused.value.problems
    assert len(problems) == 2
    assert all(p.startswith(f"{path}: ") for p in problems)
    joined = " | ".join(problems)
    assert "timing.baseline_s" in joined
    assert "hypothesis[0].phase" in joined


def test_action_fields_are_checked_by_their_validator(tmp_path):
    path = write(
        tmp_path, MINIMAL.replace('target = "gateway-1"', 'target = "gatewey-1"\nforce = 1')
    )
    with pytest.raises(DrillError) as refused:
        parse_drill(path)
    message = str(refused.value)
    assert "method[0]" in message
    assert "force: unknown field" in message
    assert "no component named 'gatewey-1'" in message


def test_targets_are_checked_against_the_running_stack_when_known(tmp_path):
    path = write(tmp_path, MINIMAL.replace("gateway-1", "gateway-3"))
    parse_drill(path)  # a stack could have three gateways
    with pytest.raises(DrillError, match="no component named 'gateway-3'"):
        parse_drill(path, components=["gateway-1", "gateway-2", "redis"])


def test_a_role_target_is_valid_on_any_stack(tmp_path):
    path = write(tmp_path, MINIMAL.replace("gateway-1", "postgres-primary"))
    drill = parse_drill(path, components=["postgres", "postgres-replica-1", "redis"])
    assert drill.method[0].params == {"target": "postgres-primary"}
    with pytest.raises(DrillError, match="choose from postgres, redis-primary"):
        parse_drill(write(tmp_path, MINIMAL.replace("gateway-1", "postgres-1")), ["postgres"])


def test_failover_actions_check_their_fields(tmp_path):
    text = MINIMAL + '\n[[method]]\ntype = "await_redis_failover"\ntimeout_s = -1\n'
    text += '\n[[rollbacks]]\ntype = "promote_postgres"\nrejoin = "yes"\n'
    with pytest.raises(DrillError) as refused:
        parse_drill(write(tmp_path, text))
    message = str(refused.value)
    assert "method[1]: timeout_s: must be a number above 0" in message
    assert "rollbacks[1]: rejoin: must be true or false" in message


def test_unknown_fields_and_metrics_are_refused(tmp_path):
    text = MINIMAL + '\n[[hypothesis]]\nname = "x"\nphase = "during"\nmetric = "lag"\nmax = 1\n'
    path = write(tmp_path, "colour = 'red'\n" + text)
    with pytest.raises(DrillError) as refused:
        parse_drill(path)
    message = str(refused.value)
    assert "colour: unknown field" in message
    assert "hypothesis[0].metric: unknown metric 'lag'" in message


def test_a_check_needs_a_bound(tmp_path):
    text = MINIMAL + '\n[[hypothesis]]\nname = "x"\nphase = "during"\nmetric = "errors"\n'
    with pytest.raises(DrillError, match=r"hypothesis\[0\]: give max, min or both"):
        parse_drill(write(tmp_path, text))


def test_method_must_be_in_time_order(tmp_path):
    text = MINIMAL.replace('target = "gateway-1"', 'target = "gateway-1"\nafter_s = 5') + (
        '\n[[method]]\ntype = "wait"\nseconds = 1\nafter_s = 1\n'
    )
    with pytest.raises(DrillError, match="order of after_s"):
        parse_drill(write(tmp_path, text))


def test_invalid_toml_and_missing_files_name_the_file(tmp_path):
    broken = write(tmp_path, "description = \n")
    with pytest.raises(DrillError, match=str(broken)):
        parse_drill(broken)
    with pytest.raises(DrillError, match="does not exist"):
        load_drill(str(tmp_path / "missing.toml"))
    with pytest.raises(DrillError, match="no drill named 'nope'"):
        load_drill("nope")


def test_every_action_type_has_a_validate_run_pair():
    assert {"flush_redis", "kill", "stop", "resume", "restart", "stop_component", "wait"} <= set(
        ACTIONS
    )
    for action in ACTIONS.values():
        assert callable(action.validate) and callable(action.run)
        assert action.summary


def test_wait_runs_without_a_stack_and_stops_early():
    import threading

    stop = threading.Event()
    context = ActionContext(faults=None, on_status=lambda *_: None, stop=stop)  # type: ignore[arg-type]
    assert ACTIONS["wait"].run(context, {"seconds": 0.01}) == "waited 0.01s"
    stop.set()
    assert ACTIONS["wait"].run(context, {"seconds": 60}) == "interrupted"


def test_duration_stretches_the_timeline():
    drill = load_drill("gateway-failover")
    short = drill.timed(drill.timing.nominal_s / 2)
    assert short.timing.fault_s == pytest.approx(drill.timing.fault_s / 2)
    assert short.method[1].after_s == pytest.approx(drill.method[1].after_s / 2)
    assert short.timing.recovery_timeout_s == drill.timing.recovery_timeout_s
    assert drill.timed(None) is drill


@pytest.mark.parametrize(
    ("op", "observed", "holds"),
    [("<", 1, True), (">=", 2, True), ("==", 2.0, True), (">", 2, False), ("<=", None, False)],
)
def test_conditions(op, observed, holds):
    assert Condition(metric="errors", op=op, value=2).holds(observed) is holds


def test_model_validates_without_a_file():
    drill = Drill.model_validate(
        {"name": "inline", "description": "d", "method": [{"type": "flush_redis"}]}
    )
    assert drill.method[0].describe() == "flush_redis"
