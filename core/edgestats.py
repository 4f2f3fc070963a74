"""The edge's own counters, read with varnishstat from its shared memory: hits, misses,
what went to the origin. `chirp status`, the bench and the drills read them here; the
exporter serves the same counters to Prometheus."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_FIELDS = (
    "MAIN.cache_hit",
    "MAIN.cache_miss",
    "MAIN.s_pass",
    "MAIN.client_req",
    "MAIN.backend_req",
)


@dataclass(frozen=True)
class EdgeCounters:
    hits: int
    misses: int
    passes: int
    requests: int
    origin_requests: int

    def minus(self, earlier: EdgeCounters) -> EdgeCounters:
        return EdgeCounters(
            self.hits - earlier.hits,
            self.misses - earlier.misses,
            self.passes - earlier.passes,
            self.requests - earlier.requests,
            self.origin_requests - earlier.origin_requests,
        )

    @property
    def hit_ratio(self) -> float | None:
        """Hits over cacheable lookups (hits + misses); None before the first."""
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else None


def read_counters(work_dir: Path, timeout_s: float = 3.0) -> EdgeCounters | None:
    """The counters of the varnishd whose -n is `work_dir`; None when it does not answer."""
    binary = shutil.which("varnishstat")
    if binary is None or not work_dir.exists():
        return None
    argv = [binary, "-n", str(work_dir), "-j", "-t", "1", *(a for f in _FIELDS for a in ("-f", f))]
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    if result.returncode != 0:
        return None
    return parse(result.stdout)


def parse(text: str) -> EdgeCounters | None:
    """Counters from `varnishstat -j` output (Varnish 6.5+ nests them under "counters")."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    counters = data.get("counters", data)

    def value(name: str) -> int:
        return int(counters.get(name, {}).get("value", 0))

    return EdgeCounters(*(value(name) for name in _FIELDS))
