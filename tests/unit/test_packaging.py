"""What `pip install` puts on a user's machine: one `chirp` import name, with the files the
code reads beside it, and nothing at the top level another package could collide with."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from chirp.infra.provision.compose.project import FOLDERS, PROJECT_FILES

REPO = Path(__file__).resolve().parents[2]


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


# --- what pip installs: declared, pinned, and split by what runs where ---------------------

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _third_party_imports(folders: tuple[str, ...]) -> set[str]:
    found = set()
    for folder in folders:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "chirp"}


def _providers(module: str) -> set[str]:
    """The distributions that install an import name (several for a namespace package)."""
    return {canonicalize_name(d) for d in importlib.metadata.packages_distributions()[module]}


@pytest.mark.parametrize(
    ("folders", "declared"),
    [
        (FOLDERS, ("dependencies", "aws")),
        # The chirp image runs chirp.stack and chirp.core with the `stack` group only.
        (("stack", "core"), ("stack",)),
    ],
)
def test_every_imported_package_is_declared_where_it_runs(folders, declared):
    project = PYPROJECT["project"]
    groups = {
        "dependencies": project["dependencies"],
        "aws": project["optional-dependencies"]["aws"],
        "stack": PYPROJECT["dependency-groups"]["stack"],
    }
    names = set().union(*(_names(groups[g]) for g in declared))
    imports = _third_party_imports(folders)
    undeclared = {module for module in imports if not _providers(module) & names}
    assert not undeclared


def test_the_image_group_leaves_out_the_clis_tools_and_repeats_the_dependencies():
    stack = PYPROJECT["dependency-groups"]["stack"]
    assert set(stack) <= set(PYPROJECT["project"]["dependencies"])
    assert not _names(stack) & {"locust", "matplotlib", "pulumi", "pulumi-aws", "typer"}


def test_pulumi_is_the_aws_extra_and_dev_takes_it():
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    assert _names(extras["aws"]) == {"pulumi", "pulumi-aws", "pulumi-random"}
    assert not _names(project["dependencies"]) & _names(extras["aws"])
    assert "chirp[aws]" in extras["dev"]


def test_uvicorn_brings_only_the_parts_the_gateways_use():
    dependencies = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    (uvicorn,) = [r for r in dependencies if r.name == "uvicorn"]
    assert uvicorn.extras == set()
    # The gateways' uvicorn picks these on `auto`; websockets and watchfiles it never uses.
    assert {"uvloop", "httptools"} <= {r.name for r in dependencies}


def test_python_3_11_and_later_may_install_it():
    specifier = SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert all(version in specifier for version in ("3.11", "3.12", "3.13", "3.14"))
    assert "3.10" not in specifier


def test_constraints_pin_every_declared_package_once():
    lines = (REPO / "constraints.txt").read_text().splitlines()
    pins = [Requirement(line) for line in lines if line and not line.startswith("#")]
    assert all(str(p.specifier).startswith("==") for p in pins)
    pinned = [canonicalize_name(p.name) for p in pins]
    assert len(pinned) == len(set(pinned))
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    declared = [*project["dependencies"], *extras["aws"], *extras["dev"]]
    assert _names(declared) - {"chirp"} <= set(pinned)
    assert "chirp" not in pinned


def test_make_and_the_dockerfile_install_with_the_constraints():
    makefile = (REPO / "Makefile").read_text()
    assert 'pip install -q -c constraints.txt -e ".[dev]"' in makefile
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "['dependency-groups']['stack']" in dockerfile
    assert "-c constraints.txt" in dockerfile
    assert "pip install --no-deps ." in dockerfile


def test_the_aws_provider_without_pulumi_says_how_to_get_it(tmp_path):
    probe = (
        "import sys\n"
        "sys.modules['pulumi'] = None\n"
        "sys.argv = ['chirp', 'up', '--provider', 'aws']\n"
        "from chirp.cli.main import run\n"
        "run()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIRP_")}
    env["CHIRP_RUN_DIR"] = str(tmp_path / "run")
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "chirp: pulumi (the AWS provider's Pulumi packages) is missing; "
        "fix with: pip install 'chirp[aws]'"
    ]


# --- `chirp up --provider compose` from an installed chirp ---------------------------------


# Runs in a Python that sees the unpacked wheel and the dependencies but not the editable
# checkout (-S skips the .pth that maps chirp to it): an installed chirp, staging its
# compose project as `up` does, and the command compose would be run with.
_STAGE = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from chirp.core.settings import Settings
from chirp.infra.provision.compose import project
from chirp.infra.provision.compose.env import write_env_file
from chirp.infra.provision.compose.provider import compose_command
settings = Settings(run_dir=sys.argv[3])
env_file = write_env_file(settings)
print(json.dumps({
    "checkout": project.is_checkout(),
    "package": project.__file__,
    "env_file": str(env_file),
    "command": compose_command("docker", env_file),
}))
"""


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    wheel.extractall(site)
    run_dir = tmp_path_factory.mktemp("run")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIRP_")}
    done = subprocess.run(
        [sys.executable, "-S", "-c", _STAGE, str(site), sysconfig.get_paths()["purelib"],
         str(run_dir)],
        capture_output=True, text=True, cwd=run_dir, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return site, run_dir, json.loads(done.stdout)


def test_the_wheel_ships_the_compose_project_files_as_they_are(wheel):
    for name in PROJECT_FILES:
        shipped = wheel.read(f"chirp/infra/provision/compose/project/{name}")
        assert shipped == (REPO / name).read_bytes(), name


def test_an_installed_chirp_stages_its_compose_project_in_the_run_dir(installed):
    site, run_dir, found = installed
    assert found["checkout"] is False
    assert found["package"].startswith(str(site))
    project = run_dir.resolve() / "compose-project"
    command = found["command"]
    assert command[command.index("--file") + 1] == str(project / "docker-compose.yml")
    assert command[command.index("--project-directory") + 1] == str(project)
    assert command[command.index("--env-file") + 1] == found["env_file"]
    # The repository's layout: its root files, and every folder as the image builds it.
    for name in PROJECT_FILES:
        assert (project / name).read_bytes() == (REPO / name).read_bytes(), name
    for folder in FOLDERS:
        assert (project / folder).is_dir(), folder
    assert (project / "stack" / "run.py").read_bytes() == (REPO / "stack" / "run.py").read_bytes()
    assert not list(project.rglob("__pycache__"))
    assert not (project / "infra/provision/compose/project").exists()


def test_every_file_the_compose_file_mounts_is_in_the_staged_project(installed):
    _, run_dir, _ = installed
    project = run_dir.resolve() / "compose-project"
    compose = yaml.safe_load((project / "docker-compose.yml").read_text())
    mounted = [
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if str(volume).startswith("./")
    ]
    assert "./infra/provision/compose/haproxy.cfg" in mounted
    for path in mounted:
        assert (project / path).exists(), path


def test_compose_go_loads_the_staged_project(installed):
    checker = Path(sys.executable).parent / "compose-configcheck"
    if not checker.is_file():
        pytest.skip("the compose-go checker is not built (make test-deps)")
    _, run_dir, found = installed
    project = run_dir.resolve() / "compose-project"
    done = subprocess.run(
        [str(checker), "-file", str(project / "docker-compose.yml"), "-env-file",
         found["env_file"], "-profile", "setup"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
