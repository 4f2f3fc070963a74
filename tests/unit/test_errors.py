"""Every error chirp raises on purpose lives in core/errors.py, drawn in its docstring."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from chirp.core import errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cli", "core", "stack", "infra", "loadtests", "scenarios")


def _error_classes() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.ChirpError)
    }


def test_no_chirp_error_is_defined_outside_core_errors():
    names = set(_error_classes())
    strays = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == Path(errors.__file__).resolve():
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
                    if bases & names:
                        strays.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert strays == []


def test_the_docstring_draws_each_error_one_level_below_its_parent():
    lines = (errors.__doc__ or "").splitlines()
    depth: dict[str, int] = {}
    for line in lines:
        stripped = line.lstrip("│├└─ ")
        name = stripped.split(" ", 1)[0]
        if name in _error_classes():
            depth[name] = (len(line) - len(stripped)) // 4
    for name, cls in _error_classes().items():
        if cls is not errors.ChirpError:
            assert depth[name] == depth[cls.__mro__[1].__name__] + 1, name
