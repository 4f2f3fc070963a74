"""Where `docker compose` runs: the checkout itself, or the installed package staged as one.

docker-compose.yml names its config files by paths under infra/provision/compose/ and
builds the chirp image from the repository's Dockerfile, with the repository as the
build context. In a checkout that is the repository. An installed chirp has its folders
under site-packages/chirp/ and the repository's root files as package data (setup.py
puts them in `project/` beside this module), so `chirp up --provider compose` lays them
out as the repository under the run directory and runs compose there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[3]
"""The repository in a checkout; site-packages/chirp when installed."""
PACKAGED = Path(__file__).resolve().parent / "project"
"""The repository's root files compose needs, as the wheel ships them."""
PROJECT_FILES = (
    "docker-compose.yml",
    "Dockerfile",
    ".dockerignore",
    "pyproject.toml",
    "setup.py",
    "constraints.txt",
)
FOLDERS = ("cli", "core", "stack", "infra", "loadtests", "scenarios")
"""The folders setup.py installs as chirp.<folder>: the image's build context."""


def is_checkout() -> bool:
    return all((PACKAGE_ROOT / name).is_file() for name in ("docker-compose.yml", "setup.py"))


def staged_dir(run_dir: Path) -> Path:
    return run_dir.resolve() / "compose-project"


def project_dir(run_dir: Path) -> Path:
    """The directory compose runs in: holds docker-compose.yml and is the build context."""
    return PACKAGE_ROOT if is_checkout() else staged_dir(run_dir)


def stage(run_dir: Path) -> Path:
    """An installed chirp laid out as its repository under the run directory, afresh each
    time (the installed version may have changed); a checkout needs none."""
    if is_checkout():
        return PACKAGE_ROOT
    target = staged_dir(run_dir)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(PACKAGED / name, target / name)
    for folder in FOLDERS:
        shutil.copytree(PACKAGE_ROOT / folder, target / folder, ignore=_not_source)
    return target


def _not_source(directory: str, names: list[str]) -> set[str]:
    """Bytecode, and the packaged root files (already at the top of the copy)."""
    skipped = {name for name in names if name == "__pycache__" or name.endswith(".pyc")}
    if Path(directory).resolve() == PACKAGED.parent and PACKAGED.name in names:
        skipped.add(PACKAGED.name)
    return skipped
