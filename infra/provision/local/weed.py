"""Build SeaweedFS's `weed` binary once, from the Go module proxy, into the user's cache.

SeaweedFS refuses `go install` (its go.mod has a replace line), so a small module in
infra/provision/local/seaweedfs pins it as a tool with the same replace and `go build` makes the
binary. Cold, that takes minutes and a few GB of Go caches; the result is one file
reused by every stack, like the JVM servers' jars.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from chirp.core.errors import ComponentFailed, MissingDependency
from chirp.infra.provision.local import locks

MODULE_DIR = Path(__file__).parent / "seaweedfs"
PACKAGE = "github.com/seaweedfs/seaweedfs/weed"
_GO_FALLBACK = Path("/usr/local/go/bin/go")


def version() -> str:
    """The pinned SeaweedFS version, from the wrapper module's go.mod."""
    for line in (MODULE_DIR / "go.mod").read_text().splitlines():
        parts = line.removeprefix("require").split()
        if len(parts) >= 2 and parts[0] == "github.com/seaweedfs/seaweedfs":
            return parts[1]
    raise ComponentFailed("objectstore", f"no SeaweedFS version pinned in {MODULE_DIR}/go.mod")


def binary_path(cache_dir: Path) -> Path:
    digest = hashlib.sha256(
        b"".join((MODULE_DIR / name).read_bytes() for name in ("go.mod", "go.sum"))
    ).hexdigest()[:12]
    return cache_dir / f"seaweedfs-{digest}" / "weed"


def is_built(cache_dir: Path) -> bool:
    return binary_path(cache_dir).is_file()


def go_binary() -> str | None:
    found = shutil.which("go")
    if found:
        return found
    return str(_GO_FALLBACK) if _GO_FALLBACK.is_file() else None


def ensure(cache_dir: Path) -> Path:
    """The `weed` binary, built with Go when the cache lacks it; two processes asking at
    once build it once."""
    target = binary_path(cache_dir)
    locks.build_once(target.parent / "build.lock", target.is_file, lambda: _build(target))
    return target


def _build(target: Path) -> None:
    go = go_binary()
    if go is None:
        raise MissingDependency("go (to build SeaweedFS)", "apt-get install -y golang-go")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    log = target.parent / "build.log"
    with log.open("w") as out:
        result = subprocess.run(
            [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(partial), PACKAGE],
            cwd=MODULE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=3600,
            check=False,
        )
    if result.returncode != 0:
        raise ComponentFailed("objectstore", f"go build of SeaweedFS failed; see {log}")
    partial.rename(target)
