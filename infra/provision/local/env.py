"""`settings_env` now lives in core: every provider and the load runner hand settings on."""

from chirp.core.childenv import settings_env

__all__ = ["settings_env"]
