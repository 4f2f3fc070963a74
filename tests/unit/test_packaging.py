"""What `pip install` puts on a user's machine: one `chirp` import name, with the files the
code reads beside it, and nothing at the top level another package could collide with."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("cli", "core", "stack", "infra", "loadtests", "scenarios")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel of the files a clone would have (tracked, or new and not ignored), built
    outside the checkout so no build/ folder of an earlier build leaks into it."""
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        check=True, capture_output=True, cwd=REPO,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(source)],
        check=True, capture_output=True, cwd=out,
    )  # fmt: skip
    (built,) = out.glob("chirp-*.whl")
    return zipfile.ZipFile(built)


def _shipped(wheel: zipfile.ZipFile) -> set[str]:
    return {name for name in wheel.namelist() if ".dist-info/" not in name}


def test_every_module_is_under_the_chirp_name(wheel):
    tops = {name.split("/")[0] for name in _shipped(wheel)}
    assert tops == {"chirp"}
    folders = {name.split("/")[1] for name in _shipped(wheel)}
    assert folders == set(FOLDERS)


def test_the_files_the_code_reads_ship_with_it(wheel):
    shipped = _shipped(wheel)
    for folder in FOLDERS:
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                if path.suffix == ".go" or path.name == "go.work.sum":
                    continue  # a test-only checker's source, built by `make test`
                relative = path.relative_to(REPO).as_posix()
                assert f"chirp/{relative}" in shipped, relative


def test_the_console_script_runs_the_packaged_cli(wheel):
    (entry,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert "chirp = chirp.cli.main:run" in wheel.read(entry).decode()


def test_the_old_top_level_names_are_not_importable(tmp_path):
    probe = (
        "import chirp.stack.run, chirp.cli.main\n"
        "try:\n import stack\nexcept ImportError:\n print('gone')"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "gone"
