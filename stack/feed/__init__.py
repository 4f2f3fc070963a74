"""Home timelines: fan-out on write, the timeline store, and the read path.

- `timeline`: the one owner of `feed:{uid}` and `celeb:{uid}` in Redis, running the Lua
  of `scripts` over the members of `entries`.
- `fanout`: the hybrid fan-out use cases (push, push to the active, pull), deletes,
  follows; `push` writes by plain ids for bulk loading.
- `read`: regenerate on miss, celebrity merge, hydration, cursor, breaker and
  degraded mode.
- `worker`: the `fanout` consumer group; `routes`: `GET /feed`.
"""

from __future__ import annotations

from chirp.stack.feed.entries import Entry
from chirp.stack.feed.fanout import (
    Tier,
    apply_follows,
    choose_tier,
    fan_out_entries,
    fan_out_on_write,
    push,
    remove_deleted,
)
from chirp.stack.feed.read import FeedGuard, FeedPage, read_feed, regenerate_feed
from chirp.stack.feed.timeline import Timelines

__all__ = [
    "Entry",
    "FeedGuard",
    "FeedPage",
    "Tier",
    "Timelines",
    "apply_follows",
    "choose_tier",
    "fan_out_entries",
    "fan_out_on_write",
    "push",
    "read_feed",
    "regenerate_feed",
    "remove_deleted",
]
