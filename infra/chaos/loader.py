"""Find drills (`scenarios/drills/*.toml`) and validate them whole, naming file and field.

A problem is reported as `<file>: <field>: <message>`, every problem of a file at once,
before anything runs.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from pathlib import Path

from pydantic import ValidationError

import scenarios
from infra.chaos.model import Drill
from stack.errors import ConfigError

SHIPPED_DIR = Path(scenarios.__file__).resolve().parent / "drills"


class DrillError(ConfigError):
    """A drill that cannot be found or does not validate; `problems` lists each one."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


def drill_dirs(cwd: Path | None = None) -> list[Path]:
    """Where drills are looked up by name: `./scenarios/drills/` first, then the shipped ones."""
    local = (cwd or Path.cwd()) / "scenarios" / "drills"
    dirs = [local] if local.is_dir() and local.resolve() != SHIPPED_DIR else []
    return [*dirs, SHIPPED_DIR]


def available(cwd: Path | None = None) -> dict[str, Path]:
    """Every drill name and its file (your own shadow the shipped ones), sorted by name."""
    found: dict[str, Path] = {}
    for directory in reversed(drill_dirs(cwd)):
        for path in sorted(directory.glob("*.toml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def load_drill(
    name_or_path: str, cwd: Path | None = None, components: Collection[str] | None = None
) -> Drill:
    """The drill called `name_or_path` (or read from that .toml path), validated whole.

    With `components` (the running stack's names) action targets are checked against them.
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise DrillError(f"drill file {candidate} does not exist")
        return parse_drill(candidate, components)
    known = available(cwd)
    if name_or_path not in known:
        raise DrillError(
            f"no drill named {name_or_path!r}; choose from {', '.join(known) or 'none'}, "
            "or pass a .toml path"
        )
    return parse_drill(known[name_or_path], components)


def parse_drill(path: Path, components: Collection[str] | None = None) -> Drill:
    """Read and validate one drill file; DrillError lists every problem with its field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DrillError(f"{path}: cannot be read ({error.strerror})") from error
    except tomllib.TOMLDecodeError as error:
        raise DrillError(f"{path}: not valid TOML ({error})") from error
    data.setdefault("name", path.stem)
    try:
        return Drill.model_validate({**data, "source": path}, context={"components": components})
    except ValidationError as error:
        problems = [f"{path}: {line}" for line in describe(error)]
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        raise DrillError(f"{path}: {count}: " + "; ".join(describe(error)), problems) from error


def describe(error: ValidationError) -> list[str]:
    """Every problem of a validation error as `field.path: message`."""
    lines = []
    for problem in error.errors(include_url=False):
        where = _field_path(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown field"
        lines.append(f"{where}: {message}" if where else message)
    return lines


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += f".{part}" if path else str(part)
    return path
