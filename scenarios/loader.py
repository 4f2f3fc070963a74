"""Find, parse and validate `scenarios/*.toml`, failing with one line naming file and field."""

from __future__ import annotations

from pathlib import Path

from chirp.core.errors import ScenarioError
from chirp.scenarios.model import Scenario
from chirp.scenarios.toml_files import TomlCatalog

SHIPPED_DIR = Path(__file__).resolve().parent


CATALOG = TomlCatalog("scenario", SHIPPED_DIR, Path("scenarios"), Scenario, ScenarioError)


def available(cwd: Path | None = None) -> dict[str, Path]:
    """Every scenario name and the file that defines it (your own shadow the shipped ones)."""
    return CATALOG.available(cwd)


def load_scenario(name_or_path: str, cwd: Path | None = None) -> Scenario:
    """The scenario called `name_or_path`, or read from that path when it is a file."""
    return CATALOG.parse(CATALOG.find(name_or_path, cwd))


def parse_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    return CATALOG.parse(path)
