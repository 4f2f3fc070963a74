"""Where chirp runs: this machine, Docker Compose, or AWS through Pulumi.

`provider_for` chooses one, once per command: the name given (`--provider`), else the
provider the last `up` in this run directory recorded, else local. Each implementation
is imported only when chosen (the AWS one loads Pulumi).
"""

from __future__ import annotations

from rich.console import Console

from chirp.core import runstate
from chirp.core.errors import ConfigError
from chirp.core.provider import Provider
from chirp.core.settings import Settings

PROVIDERS = ("local", "compose", "aws")
DEFAULT = "local"


def choose(settings: Settings, name: str | None) -> str:
    """The provider's name: `name`, else the recorded one, else local."""
    chosen = name or runstate.recorded_provider(settings) or DEFAULT
    if chosen not in PROVIDERS:
        raise ConfigError(f"no provider named {chosen!r}; choose one of {', '.join(PROVIDERS)}")
    return chosen


def provider_for(
    settings: Settings, name: str | None = None, console: Console | None = None
) -> Provider:
    """The provider `choose` names, ready to use; `console` is where compose and aws talk."""
    chosen = choose(settings, name)
    speaker = console or Console(stderr=True)
    if chosen == "compose":
        from chirp.infra.provision.compose.seam import ComposeProvider

        return ComposeProvider(settings, speaker)
    if chosen == "aws":
        from chirp.infra.provision.aws.seam import AwsProvider

        return AwsProvider(settings, speaker)
    from chirp.infra.provision.local.seam import LocalProvider

    return LocalProvider(settings)
