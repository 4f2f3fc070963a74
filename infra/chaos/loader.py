"""Find drills (`scenarios/drills/*.toml`) and validate them whole, naming file and field.

A problem is reported as `<file>: <field>: <message>`, every problem of a file at once,
before anything runs.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from chirp import scenarios
from chirp.core.errors import DrillError
from chirp.infra.chaos.model import Drill
from chirp.scenarios.toml_files import TomlCatalog

SHIPPED_DIR = Path(scenarios.__file__).resolve().parent / "drills"


CATALOG = TomlCatalog("drill", SHIPPED_DIR, Path("scenarios", "drills"), Drill, DrillError)


def available(cwd: Path | None = None) -> dict[str, Path]:
    """Every drill name and its file (your own shadow the shipped ones), sorted by name."""
    return CATALOG.available(cwd)


def load_drill(
    name_or_path: str, cwd: Path | None = None, components: Collection[str] | None = None
) -> Drill:
    """The drill called `name_or_path` (or read from that .toml path), validated whole.

    With `components` (the running stack's names) action targets are checked against them.
    """
    return parse_drill(CATALOG.find(name_or_path, cwd), components)


def parse_drill(path: Path, components: Collection[str] | None = None) -> Drill:
    """Read and validate one drill file; DrillError lists every problem with its field."""
    return CATALOG.parse(path, context={"components": components})
