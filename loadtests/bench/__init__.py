"""`chirp bench`: saturation, open-loop latency, drained fan-out capacity and exact lags,
each figure a ratio to a ceiling of the same shape measured in the same run.

Import it only from the bench command: it runs the load generator, which patches the
process for gevent.
"""

from __future__ import annotations

from chirp.loadtests.bench.goals import DEFINITIONS, GOALS, SCHEMA_VERSION
from chirp.loadtests.bench.run import BenchConfig, BenchProgress, run_bench

__all__ = ["DEFINITIONS", "GOALS", "SCHEMA_VERSION", "BenchConfig", "BenchProgress", "run_bench"]
