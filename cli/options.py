"""Options whose default is a setting: `CHIRP_<NAME>`, then chirp.toml, then its default.

One source: the value comes from the Settings object, read when the command runs;
the option given on the command line wins over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import typer
from rich.markup import escape

from chirp.cli.console import err
from chirp.core.settings import Settings, env_vars, read_settings


@dataclass(frozen=True)
class SettingDefault:
    """An option's default factory reading setting `name`; with `only_when_set`, None
    unless the environment or chirp.toml sets it (the command then applies its own rule,
    such as "as the last `chirp up` chose")."""

    name: str
    only_when_set: bool = False

    def __post_init__(self) -> None:
        if self.name not in Settings.model_fields:
            raise KeyError(f"{self.name} is not a setting")

    def __call__(self) -> Any:
        settings = read_settings()
        if self.only_when_set and self.name not in settings.model_fields_set:
            return None
        return getattr(settings, self.name)


def from_setting(
    name: str, *param_decls: str, help: str, only_when_set: bool = False, **kwargs: Any
) -> Any:
    """A typer.Option taking its default from setting `name`; its help names the variable."""
    field = Settings.model_fields[name]
    shown = field.default if field.default is not None and not only_when_set else False
    return typer.Option(
        *param_decls,
        default_factory=SettingDefault(name, only_when_set),
        show_default=str(shown) if shown is not False else False,
        help=f"{help} {escape(f'[env var: {env_vars(name)[0]}]')}",
        **kwargs,
    )


OldSeedOption = Annotated[
    int | None,
    typer.Option(
        "--seed",
        hidden=True,
        help="The old name of --random-seed; it goes away in the next release.",
    ),
]
"""`--seed`, hidden: what `--random-seed` was called before; `pick_random_seed()` reads both."""


def pick_random_seed(new: int, old: int | None) -> int:
    """The random seed from `--random-seed`, or from the old `--seed` (with a notice)."""
    if old is None:
        return new
    err.print(
        "chirp: --seed is now --random-seed (`chirp seed` loads data; --seed goes away "
        "in the next release)",
        highlight=False,
        soft_wrap=True,
    )
    return old
