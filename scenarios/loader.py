"""Find, parse and validate `scenarios/*.toml`, failing with one line naming file and field."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from scenarios.model import Scenario
from stack.errors import ConfigError

SHIPPED_DIR = Path(__file__).resolve().parent


class ScenarioError(ConfigError):
    """A scenario that cannot be found or does not validate."""


def scenario_dirs(cwd: Path | None = None) -> list[Path]:
    """Where scenarios are looked up by name: `./scenarios/` first (your own), then shipped."""
    local = (cwd or Path.cwd()) / "scenarios"
    dirs = [local] if local.is_dir() and local.resolve() != SHIPPED_DIR else []
    return [*dirs, SHIPPED_DIR]


def available(cwd: Path | None = None) -> dict[str, Path]:
    """Every scenario name and the file that defines it (your own shadow the shipped ones)."""
    found: dict[str, Path] = {}
    for directory in reversed(scenario_dirs(cwd)):
        for path in sorted(directory.glob("*.toml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def load_scenario(name_or_path: str, cwd: Path | None = None) -> Scenario:
    """The scenario called `name_or_path`, or read from that path when it is a file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise ScenarioError(f"scenario file {candidate} does not exist")
        return parse_scenario(candidate)
    known = available(cwd)
    if name_or_path not in known:
        names = ", ".join(known) or "none"
        raise ScenarioError(
            f"no scenario named {name_or_path!r}; choose from {names}, or pass a .toml path"
        )
    return parse_scenario(known[name_or_path])


def parse_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"{path}: cannot be read ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML ({error})") from error
    data.setdefault("name", path.stem)
    try:
        return Scenario.model_validate({**data, "source": path})
    except ValidationError as error:
        raise ScenarioError(f"{path}: {describe(error)}") from error


def describe(error: ValidationError) -> str:
    """The first problem of a validation error as `field.path: message`."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"] if part != "[key]")
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{where}: {message}" if where else message
