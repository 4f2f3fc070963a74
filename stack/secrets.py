"""The stack's passwords: PostgreSQL's and Redis's (the Sentinels share Redis's).

`chirp up` makes them at first start, into `<run dir>/secrets.json`, mode 600: only the
user who runs chirp (and root) can read them. Every chirp process, server config and
client reads them from there. A password given in the settings (`CHIRP_POSTGRES_PASSWORD`,
`CHIRP_REDIS_PASSWORD`: the compose containers, a deployment's secret store) wins.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets as random
from dataclasses import asdict, dataclass
from pathlib import Path

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings

SECRETS_FILE = "secrets.json"
_PLACEHOLDERS = frozenset({"", "changeme", "change-me", "password", "secret", "chirp"})
_MIN_LENGTH = 16


@dataclass(frozen=True)
class StackSecrets:
    """None where neither the settings nor the run directory hold a password: the
    client then sends none, and a server that wants one refuses it."""

    postgres_password: str | None
    redis_password: str | None


def secrets_file(settings: Settings) -> Path:
    return settings.run_dir.resolve() / SECRETS_FILE


def ensure(settings: Settings) -> StackSecrets:
    """The stack's secrets, made now when the run directory has none yet. Safe to call
    from several processes at once: the first file written wins."""
    path = secrets_file(settings)
    if not path.exists():
        _write_once(path, {"postgres_password": _new(), "redis_password": _new()})
    return load(settings)


def load(settings: Settings) -> StackSecrets:
    """The passwords to use: the settings' own, else the run directory's."""
    stored = _read(secrets_file(settings))
    found = StackSecrets(
        postgres_password=settings.postgres_password or stored.get("postgres_password"),
        redis_password=settings.redis_password or stored.get("redis_password"),
    )
    for name, value in asdict(found).items():
        if value is not None and (value.lower() in _PLACEHOLDERS or len(value) < _MIN_LENGTH):
            raise ConfigError(
                f"{name} is a placeholder or shorter than {_MIN_LENGTH} characters; set "
                f"CHIRP_{name.upper()} to a real secret or unset it to use the generated one"
            )
    return found


def _new() -> str:
    return random.token_urlsafe(32)  # letters, digits, '-' and '_': safe in every config


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path} is unreadable ({error}); fix or delete it") from error
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _write_once(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(values, handle)
    try:
        os.link(draft, path)  # atomic, and refuses to replace a file another process made
    except FileExistsError:
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()
