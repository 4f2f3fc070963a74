"""Installs the project's top-level folders under the one import name `chirp`:
`chirp.cli` is cli/, `chirp.stack` is stack/, and so on. pyproject.toml holds the rest.

The repository's root files that `chirp up --provider compose` needs (the compose file,
the image's Dockerfile and what it installs from) ship too, as package data of
chirp.infra.provision.compose, in its `project/` folder."""

import shutil
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

FOLDERS = ("cli", "core", "stack", "infra", "loadtests", "scenarios")
COMPOSE_PROJECT_FILES = (
    "docker-compose.yml",
    "Dockerfile",
    ".dockerignore",
    "pyproject.toml",
    "setup.py",
    "constraints.txt",
)


class BuildWithComposeProject(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install runs compose from the checkout
            return
        target = Path(self.build_lib, "chirp", "infra", "provision", "compose", "project")
        target.mkdir(parents=True, exist_ok=True)
        for name in COMPOSE_PROJECT_FILES:
            shutil.copy2(name, target / name)


setup(
    packages=[
        f"chirp.{name}"
        for name in find_namespace_packages(include=[f"{f}*" for f in FOLDERS])
        if "__pycache__" not in name
    ],
    package_dir={f"chirp.{folder}": folder for folder in FOLDERS},
    cmdclass={"build_py": BuildWithComposeProject},
)
