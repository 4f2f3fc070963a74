"""Hand a Settings object to a child process through its `CHIRP_*` environment."""

from __future__ import annotations

import os
from pathlib import Path

from chirp.core.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """This process's environment plus every setting as `CHIRP_<NAME>`; paths made absolute."""
    env = dict(os.environ)
    for key, value in settings.model_dump(exclude_none=True).items():
        env[f"CHIRP_{key.upper()}"] = (
            str(Path(value).resolve()) if isinstance(value, Path) else str(value)
        )
    return env
