"""Port helpers now live in core, for loadtests and tests as much as for the providers."""

from chirp.core.ports import free_port, free_range, holder, is_free

__all__ = ["free_port", "free_range", "holder", "is_free"]
