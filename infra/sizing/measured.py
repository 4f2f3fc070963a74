"""Per-process capacities measured on real hardware, in place of the assumed ones.

``chirp simulate capacity --from-report FILE`` accepts either report:

``chirp bench --json`` (schema ``chirp.bench/v2``), top-level keys:

    feed_read_rps              feed reads/s at saturation  -> units.gateway_feed_reads_per_s
    post_rps                   posts/s at saturation       -> units.gateway_posts_per_s
    fanout_capacity_per_s      deliveries/s per fan-out    -> units.fanout_worker_deliveries_per_s
                               worker, drained from a backlog

The fan-out figure is per worker process already. Earlier bench reports carried
``fanout_deliveries_per_s``, the rate the bench's posts happened to arrive at rather than
what the fan-out can do; it is not read as a capacity.

``chirp load`` ``summary.json``: an ``endpoints`` list (or name -> entry mapping)
whose entries carry ``name`` (or ``path``), optional ``method``, and ``rps``. The
feed rate is the entry whose name holds ``/api/v1/feed``; the post rate the
``POST`` entry ending in ``/api/v1/tweets``. A load run reports what it achieved,
which is a capacity only if the run saturated the stack.

The feed and post rates are whole-stack figures. To turn them into per-process figures
the report may say how many gateways served them, as ``processes: {"gateway": N}`` or
top-level ``gateway_processes`` (the bench writes it); without it one is assumed. At
least one of the rates must be present.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chirp.core.errors import ConfigError

BENCH_KEYS = ("feed_read_rps", "post_rps", "fanout_capacity_per_s")
_POST_NAME = re.compile(r"/api/v1/tweets/?$")


@dataclass(frozen=True)
class MeasuredCapacities:
    """Per-process capacities; ``None`` where the report did not measure one."""

    source: str
    feed_reads_per_s: float | None = None
    posts_per_s: float | None = None
    fanout_deliveries_per_s: float | None = None

    def overrides(self) -> dict[str, float]:
        """The assumption fields these figures replace, as ``section.field`` keys."""
        fields = {
            "units.gateway_feed_reads_per_s": self.feed_reads_per_s,
            "units.gateway_posts_per_s": self.posts_per_s,
            "units.fanout_worker_deliveries_per_s": self.fanout_deliveries_per_s,
        }
        return {key: value for key, value in fields.items() if value is not None}


def load_report(path: Path) -> MeasuredCapacities:
    """Read a bench or load report; raise one ConfigError line when it does not fit."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"report {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read report {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"report {path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"report {path} is not a JSON object")
    return parse_report(data, str(path))


def parse_report(data: dict[str, Any], source: str) -> MeasuredCapacities:
    """Capacities from a parsed report, divided by the processes that served them."""
    feed, post = _endpoint_rates(data.get("endpoints"), source)
    feed = _number(data, "feed_read_rps", source, feed)
    post = _number(data, "post_rps", source, post)
    deliveries = _number(data, "fanout_capacity_per_s", source)
    if feed is None and post is None and deliveries is None:
        raise ConfigError(
            f"report {source} has none of {', '.join(BENCH_KEYS)} (chirp bench --json) "
            "nor feed/post rates under endpoints (chirp load summary.json)"
        )
    gateways = _processes(data, "gateway", source)
    return MeasuredCapacities(
        source=source,
        feed_reads_per_s=None if feed is None else feed / gateways,
        posts_per_s=None if post is None else post / gateways,
        fanout_deliveries_per_s=deliveries,
    )


def _number(
    data: dict[str, Any], key: str, source: str, default: float | None = None
) -> float | None:
    if key not in data or data[key] is None:
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"report {source}: {key} must be a positive number, got {value!r}")
    return float(value)


def _processes(data: dict[str, Any], role: str, source: str) -> float:
    nested = data.get("processes")
    if isinstance(nested, dict) and role in nested:
        count = _number(nested, role, f"{source} processes")
    else:
        count = _number(data, f"{role}_processes", source)
    return count or 1.0


def _endpoint_rates(endpoints: Any, source: str) -> tuple[float | None, float | None]:
    if endpoints is None:
        return None, None
    if isinstance(endpoints, dict):
        entries = [{"name": name, **e} for name, e in endpoints.items() if isinstance(e, dict)]
    elif isinstance(endpoints, list):
        entries = [e for e in endpoints if isinstance(e, dict)]
    else:
        raise ConfigError(f"report {source}: endpoints must be a list or an object")
    feed = post = None
    for entry in entries:
        name = str(entry.get("name") or entry.get("path") or "")
        method = str(entry.get("method") or "")
        label = f"{method} {name}".strip()
        if "/api/v1/feed" in name:
            feed = _number(entry, "rps", f"{source} endpoint {label!r}")
        elif "POST" in label.upper() and _POST_NAME.search(name):
            post = _number(entry, "rps", f"{source} endpoint {label!r}")
    return feed, post
