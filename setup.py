"""Installs the project's top-level folders under the one import name `chirp`:
`chirp.cli` is cli/, `chirp.stack` is stack/, and so on. pyproject.toml holds the rest."""

from setuptools import find_namespace_packages, setup

FOLDERS = ("cli", "core", "stack", "infra", "loadtests", "scenarios")

setup(
    packages=[
        f"chirp.{name}"
        for name in find_namespace_packages(include=[f"{f}*" for f in FOLDERS])
        if "__pycache__" not in name
    ],
    package_dir={f"chirp.{folder}": folder for folder in FOLDERS},
)
