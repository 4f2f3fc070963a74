"""Find TOML files by name and validate them whole into a pydantic model, naming file and field.

Scenarios (`scenarios/*.toml`) and drills (`scenarios/drills/*.toml`) are looked up the same
way: your own `./scenarios/...` directory first, then the shipped one. A problem is reported as
`<file>: <field>: <message>`, every problem of a file at once, before anything runs.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from chirp.core.errors import TomlFileError

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class TomlCatalog(Generic[Model]):
    """The files of one kind (`kind` names it in errors), found by name and validated."""

    kind: str
    shipped_dir: Path
    local_dir: Path
    model: type[Model]
    error: type[TomlFileError]

    def dirs(self, cwd: Path | None = None) -> list[Path]:
        """Where files are looked up by name: the local directory first, then the shipped one."""
        local = (cwd or Path.cwd()) / self.local_dir
        own = [local] if local.is_dir() and local.resolve() != self.shipped_dir else []
        return [*own, self.shipped_dir]

    def available(self, cwd: Path | None = None) -> dict[str, Path]:
        """Every name and its file (your own shadow the shipped ones), sorted by name."""
        found: dict[str, Path] = {}
        for directory in reversed(self.dirs(cwd)):
            for path in sorted(directory.glob("*.toml")):
                found[path.stem] = path
        return dict(sorted(found.items()))

    def find(self, name_or_path: str, cwd: Path | None = None) -> Path:
        """The file called `name_or_path`, or that path itself when it names a .toml file."""
        candidate = Path(name_or_path)
        if candidate.suffix == ".toml" or candidate.is_file():
            if not candidate.is_file():
                raise self.error(f"{self.kind} file {candidate} does not exist")
            return candidate
        known = self.available(cwd)
        if name_or_path not in known:
            raise self.error(
                f"no {self.kind} named {name_or_path!r}; choose from "
                f"{', '.join(known) or 'none'}, or pass a .toml path"
            )
        return known[name_or_path]

    def parse(self, path: Path, context: Mapping[str, Any] | None = None) -> Model:
        """Read and validate one file; the error lists every problem with its field."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise self.error(f"{path}: cannot be read ({error.strerror})") from error
        except tomllib.TOMLDecodeError as error:
            raise self.error(f"{path}: not valid TOML ({error})") from error
        data.setdefault("name", path.stem)
        try:
            return self.model.model_validate({**data, "source": path}, context=context)
        except ValidationError as error:
            lines = describe(error)
            count = f"{len(lines)} problems" if len(lines) > 1 else "1 problem"
            problems = [f"{path}: {line}" for line in lines]
            raise self.error(f"{path}: {count}: " + "; ".join(lines), problems) from error


def describe(error: ValidationError) -> list[str]:
    """Every problem of a validation error as `field.path[index]: message`."""
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
