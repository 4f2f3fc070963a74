"""Resolve a JVM server's jars from Maven Central once, into a cache outside the repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from chirp.core.errors import ComponentFailed, MissingDependency
from chirp.infra.provision.local import locks

POM_DIR = Path(__file__).parent / "poms"
_COPY_GOAL = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies"
_DONE_MARKER = ".resolved"


def lib_dir(cache_dir: Path, server: str, version: str) -> Path:
    return cache_dir / f"{server}-{version}" / "lib"


def is_resolved(cache_dir: Path, server: str, version: str) -> bool:
    return (lib_dir(cache_dir, server, version) / _DONE_MARKER).exists()


def ensure(cache_dir: Path, server: str, version: str) -> Path:
    """The jar folder of `server` at `version`, downloading it with Maven when missing;
    two processes asking at once download it once."""
    lib = lib_dir(cache_dir, server, version)
    locks.build_once(
        cache_dir / f"{server}-{version}.lock",
        lambda: (lib / _DONE_MARKER).exists(),
        lambda: _download(server, version, lib),
    )
    return lib


def _download(server: str, version: str, lib: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingDependency("mvn (to fetch server jars)", "apt-get install -y maven")
    lib.mkdir(parents=True, exist_ok=True)
    log = lib.parent / "mvn.log"
    with log.open("w") as out:
        result = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(POM_DIR / f"{server}.xml"),
                f"-Dserver.version={version}",
                _COPY_GOAL,
                "-DincludeScope=runtime",
                f"-DoutputDirectory={lib}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=1800,
            check=False,
        )
    if result.returncode != 0:
        raise ComponentFailed(server, f"Maven could not resolve its jars; see {log}")
    (lib / _DONE_MARKER).write_text(version)
