"""The provider seam's pure parts: which provider a command gets, what a provider that
lacks a fault says, how preflight refuses a drill the provider cannot carry out, the one
list of components every provider reads, and who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from chirp.core import components, runstate
from chirp.core.errors import ConfigError, ProviderLacks
from chirp.core.provider import Fault, Faults, Provider, missing_faults
from chirp.core.settings import Settings
from chirp.infra.chaos import load_drill, parse_drill, preflight
from chirp.infra.chaos.client import Api
from chirp.infra.chaos.preflight import DrillCannotRun
from chirp.infra.provision import choose, provider_for
from chirp.infra.provision.compose.seam import ComposeFaults

REPO = Path(__file__).resolve().parents[2]

PAUSE_DRILL = """
name = "pause-one"
description = "freeze a worker"
[timing]
baseline_s = 5
fault_s = 5
recovery_s = 5
[[method]]
type = "stop"
target = "fanout"
after_s = 0
[[rollbacks]]
type = "resume"
target = "fanout"
"""


def _settings(tmp_path: Path) -> Settings:
    return Settings(run_dir=tmp_path)


def test_the_provider_named_on_the_command_line_wins(tmp_path):
    settings = _settings(tmp_path)
    runstate.update(settings, provider="compose")
    assert choose(settings, "aws") == "aws"


def test_without_a_name_the_recorded_provider_is_used_else_local(tmp_path):
    settings = _settings(tmp_path)
    assert choose(settings, None) == "local"
    runstate.update(settings, provider="compose")
    assert choose(settings, None) == "compose"
    assert provider_for(settings).name == "compose"


def test_an_unknown_provider_is_refused_in_one_line(tmp_path):
    with pytest.raises(ConfigError) as refused:
        choose(_settings(tmp_path), "kubernetes")
    assert str(refused.value) == (
        "no provider named 'kubernetes'; choose one of local, compose, aws"
    )


@pytest.mark.parametrize("name", ["local", "compose", "aws"])
def test_every_provider_implements_the_protocol(tmp_path, name):
    chosen = provider_for(_settings(tmp_path), name)
    assert isinstance(chosen, Provider)
    assert isinstance(chosen.faults(), Faults)
    assert chosen.name == name


def test_a_missing_fault_says_which_provider_lacks_what_in_one_line(tmp_path):
    faults = ComposeFaults(_settings(tmp_path))
    with pytest.raises(ProviderLacks) as refused:
        faults.pause("redis")
    message = str(refused.value)
    assert message == (
        "the compose provider has no pause fault; run this drill with --provider local"
    )
    assert "\n" not in message


def test_missing_faults_lists_what_the_provider_lacks_in_a_fixed_order(tmp_path):
    local = provider_for(_settings(tmp_path), "local").faults()
    compose = ComposeFaults(_settings(tmp_path))
    needed = frozenset({Fault.SLOW, Fault.KILL, Fault.PARTITION})
    assert missing_faults(needed, local) == [Fault.PARTITION, Fault.SLOW]
    assert missing_faults(needed, compose) == [Fault.KILL, Fault.PARTITION, Fault.SLOW]


def test_a_drill_declares_the_faults_its_actions_need(tmp_path):
    path = tmp_path / "pause-one.toml"
    path.write_text(PAUSE_DRILL)
    assert parse_drill(path).faults_needed == {Fault.PAUSE}
    assert load_drill("gateway-failover").faults_needed >= {Fault.KILL}


def test_preflight_refuses_a_drill_the_provider_cannot_carry_out_before_any_call(tmp_path):
    path = tmp_path / "pause-one.toml"
    path.write_text(PAUSE_DRILL)
    compose = provider_for(_settings(tmp_path), "compose")
    # Port 1: nothing answers there, so a preflight that asked the stack would fail otherwise.
    api = Api("http://127.0.0.1:1", 0.5)
    with pytest.raises(DrillCannotRun) as refused:
        preflight.check(compose, parse_drill(path), api, with_load=False)
    assert str(refused.value) == (
        "pause-one needs the pause fault, which the compose provider lacks; run it on a "
        "stack from `chirp up --provider local`"
    )


def test_every_local_component_is_a_name_the_component_list_knows(tmp_path):
    names = provider_for(_settings(tmp_path), "local").faults().components()
    unknown = [name for name in names if not components.could_be_component(name)]
    assert unknown == []
    assert set(components.CORE_COMPONENTS) <= set(names)


def test_every_provider_and_the_stack_agree_on_the_worker_roles():
    from chirp.infra.provision.aws.roles import WORKERS
    from chirp.infra.provision.compose.env import COMPOSE_WORKERS
    from chirp.infra.provision.local.stackproc import workers
    from chirp.infra.sizing.capacity import WORKER_TYPES
    from chirp.stack.run import ROLES
    from chirp.stack.schema.topics import SUBSCRIPTIONS

    assert tuple(w.name for w in workers(Settings())) == components.WORKER_NAMES
    assert COMPOSE_WORKERS == components.WORKER_NAMES
    assert ROLES == components.WORKER_NAMES
    consumers = {r.name for r in components.WORKER_ROLES if r.consumes}
    assert set(SUBSCRIPTIONS) == consumers
    assert tuple(w.name for w in WORKERS) == components.WORKER_NAMES
    assert WORKER_TYPES == components.SIZED_CONSUMERS


def _imports(folder: str) -> dict[str, set[str]]:
    """Every chirp module each file of `folder` imports, by file."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        found[str(path.relative_to(REPO))] = {n for n in names if n.startswith("chirp.")}
    return found


@pytest.mark.parametrize("folder", ["core", "stack", "infra", "loadtests", "scenarios"])
def test_nothing_imports_the_cli(folder):
    offenders = {
        f: sorted(m for m in mods if m.startswith("chirp.cli"))
        for f, mods in _imports(folder).items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_core_imports_only_core():
    offenders = {
        f: sorted(m for m in mods if not m.startswith("chirp.core"))
        for f, mods in _imports("core").items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}


@pytest.mark.parametrize("folder", ["infra/chaos", "loadtests"])
def test_chaos_and_loadtests_get_the_provider_handed_to_them(folder):
    offenders = {
        f: sorted(m for m in mods if m.startswith("chirp.infra.provision"))
        for f, mods in _imports(folder).items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}
