"""What chirp made in its run directory, so `down --purge` deletes that and nothing else.

`up` first claims every path it is about to make that does not exist yet, in
`<run dir>/.chirp-owned.json`. A run directory pointed at a place that already had, say, a
`logs` folder keeps it: purge deletes only claimed paths, and refuses outright where no
claim was ever written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings

CLAIM_FILE = ".chirp-owned.json"
_OLDER_CHIRP = "topology.json"
"""Written by every earlier `chirp up`: a run directory that has it was chirp's already."""


def claim_file(settings: Settings) -> Path:
    return settings.run_dir.resolve() / CLAIM_FILE


def claim(settings: Settings, candidates: Iterable[Path]) -> None:
    """Record as chirp's every candidate path that does not exist yet (and, in a run
    directory an earlier chirp made before claims were kept, every one)."""
    run_dir = settings.run_dir.resolve()
    path = claim_file(settings)
    older = not path.exists() and (run_dir / _OLDER_CHIRP).exists()
    owned = set(owned_paths(settings)) if path.exists() else set()
    owned |= {p.resolve() for p in candidates if older or not p.exists()}
    run_dir.mkdir(parents=True, exist_ok=True)
    relative = sorted(str(p.relative_to(run_dir)) for p in owned if p.is_relative_to(run_dir))
    path.write_text(json.dumps(relative, indent=0))


def owned_paths(settings: Settings) -> list[Path]:
    """The paths chirp claimed; a ConfigError when it never claimed any here."""
    run_dir = settings.run_dir.resolve()
    path = claim_file(settings)
    try:
        names = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(
            f"nothing deleted: {run_dir} has no record of what chirp made there "
            f"({CLAIM_FILE}); delete what you no longer need by hand"
        ) from None
    except (OSError, ValueError) as error:
        raise ConfigError(f"nothing deleted: {path} is unreadable ({error})") from error
    return [run_dir / name for name in names if isinstance(name, str)]


def forget(settings: Settings) -> None:
    """Drop the claim (after a purge): the next `up` claims afresh."""
    claim_file(settings).unlink(missing_ok=True)
