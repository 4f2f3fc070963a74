"""The edge's counters now live in core (the provider seam hands them to drills and bench)."""

from chirp.core.edgestats import EdgeCounters, parse, read_counters

__all__ = ["EdgeCounters", "parse", "read_counters"]
