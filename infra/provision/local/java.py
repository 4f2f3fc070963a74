"""Find a JDK that can run the JVM servers."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from chirp.core.errors import MissingDependency

MIN_JAVA = 17


@lru_cache
def java_version(java: str) -> int:
    """The major version `java -version` reports, or 0 when it cannot be run."""
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        ).stderr
    except OSError:
        return 0
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else 0


def find_java(java_home: Path | None) -> str:
    """The java binary to use: CHIRP_JAVA_HOME's, else the one on PATH."""
    java = str(java_home / "bin" / "java") if java_home else shutil.which("java")
    if java is None or java_version(java) < MIN_JAVA:
        raise MissingDependency(
            f"a Java {MIN_JAVA}+ runtime", "apt-get install -y openjdk-17-jre-headless"
        )
    return java
