"""One settings object: options read their defaults from it, `chirp config` shows all of it."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from chirp.cli import main, simulate
from chirp.cli.options import SettingDefault
from chirp.core.settings import MASK, Settings, env_vars

CLI_DIR = Path(main.__file__).resolve().parent
runner = CliRunner()

# Every variable the command line once read through Typer itself, now a setting.
COMMAND_LINE_VARIABLES = {
    "CHIRP_LOAD_MASTER",
    "CHIRP_LOAD_TARGET",
    "CHIRP_LOAD_WORKERS",
    "CHIRP_LOAD_EXPECT_WORKERS",
    "CHIRP_LOAD_MASTER_BIND",
    "CHIRP_PLOT_DIR",
    "CHIRP_CAPACITY_CONFIG",
    "CHIRP_CAPACITY_REPORT",
    "CHIRP_CAPACITY_DAU",
    "CHIRP_FANOUT_USERS",
    "CHIRP_PROVIDER",
    "CHIRP_GATEWAYS",
    "CHIRP_PROMETHEUS",
    "CHIRP_POSTGRES_REPLICAS",
    "CHIRP_PROFILE",
}


def _setting_variables() -> set[str]:
    return {variable for name in Settings.model_fields for variable in env_vars(name)}


def _options(command: Any) -> list[Any]:
    """Every parameter of a command and its subcommands."""
    commands = getattr(command, "commands", None)
    if commands is not None:
        return [p for sub in commands.values() for p in _options(sub)]
    return list(command.params)


def test_every_envvar_left_in_the_cli_names_a_setting():
    named = []
    for path in CLI_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "envvar":
                named.append((path.name, ast.literal_eval(node.value)))
    assert [(f, v) for f, v in named if v not in _setting_variables()] == []


def test_options_take_their_defaults_from_settings():
    defaults = [
        p.default
        for p in _options(typer.main.get_command(main.app))
        if isinstance(p.default, SettingDefault)
    ]
    read = {env_vars(d.name)[0] for d in defaults}
    assert read >= COMMAND_LINE_VARIABLES
    assert all(d.name in Settings.model_fields for d in defaults)


def config_json(**env: str) -> list[dict]:
    result = runner.invoke(main.app, ["config", "--json"], env=env or None)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_config_lists_every_setting_with_its_variable():
    rows = config_json()
    assert [row["name"] for row in rows] == list(Settings.model_fields)
    assert all(row["env_vars"][0] == f"CHIRP_{row['name'].upper()}" for row in rows)
    assert [row["name"] for row in rows if not row["description"]] == []


def test_config_says_where_each_value_came_from(tmp_path, monkeypatch):
    (tmp_path / "chirp.toml").write_text("kafka_port = 19092\nredis_port = 16379\n")
    monkeypatch.chdir(tmp_path)
    rows = {r["name"]: r for r in config_json(CHIRP_REDIS_PORT="26379", AWS_REGION="eu-west-1")}
    assert (rows["redis_port"]["value"], rows["redis_port"]["source"]) == (26379, "env")
    assert (rows["kafka_port"]["value"], rows["kafka_port"]["source"]) == (19092, "chirp.toml")
    assert (rows["lb_port"]["value"], rows["lb_port"]["source"]) == (8080, "default")
    assert (rows["aws_region"]["value"], rows["aws_region"]["source"]) == ("eu-west-1", "env")


def test_config_masks_secrets():
    rows = {r["name"]: r for r in config_json(CHIRP_REDIS_PASSWORD="hunter2-secret")}
    assert rows["redis_password"]["value"] == MASK and rows["redis_password"]["secret"]
    assert rows["kafka_sasl_password"]["value"] is None
    table = runner.invoke(main.app, ["config"], env={"CHIRP_REDIS_PASSWORD": "hunter2-secret"})
    assert table.exit_code == 0 and "hunter2" not in table.output
    assert "CHIRP_REDIS_PASSWORD" in table.output


def test_a_bad_setting_is_one_line():
    result = runner.invoke(main.app, ["config"], env={"CHIRP_REDIS_PORT": "many"})
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "CHIRP_REDIS_PORT" in result.stderr


@pytest.mark.parametrize(
    ("toml", "env", "args", "users"),
    [
        ("fanout_users = 2500\n", {}, [], 2500),
        ("fanout_users = 2500\n", {"CHIRP_FANOUT_USERS": "3000"}, [], 3000),
        ("fanout_users = 2500\n", {"CHIRP_FANOUT_USERS": "3000"}, ["--users", "3500"], 3500),
    ],
)
def test_an_option_reads_chirp_toml_then_env_and_the_command_line_wins(
    tmp_path, monkeypatch, toml, env, args, users
):
    (tmp_path / "chirp.toml").write_text(toml)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(simulate.app, ["fanout", "--json", "--no-sweep", *args], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["graph"]["users"] == users
