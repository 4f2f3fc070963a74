"""Time-sortable 64-bit ids, Snowflake-style: milliseconds, node, sequence.

    | 41 bits: ms since 2024-01-01 | 10 bits: node | 12 bits: sequence |

Ids from one node strictly increase; ids from different nodes sort by time to
the millisecond, so a DynamoDB sort key or a Redis score of ids is time order.
Ids are unique only while no two processes share a node id: a process either is
given one (CHIRP_NODE_ID) or leases one (`stack.node_lease`).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
NODE_BITS = 10
SEQUENCE_BITS = 12
MAX_NODE = (1 << NODE_BITS) - 1
_MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1


class IdSource(Protocol):
    """What mints ids for a process: a fixed node's generator, or a leased one."""

    def next_id(self) -> int: ...

    @property
    def node_id(self) -> int | None:
        """The node the ids carry now; None while a leased source holds no lease."""
        ...


class IdGenerator:
    """Thread-safe id source for one node."""

    def __init__(self, node: int) -> None:
        if not 0 <= node <= MAX_NODE:
            raise ValueError(f"node must be 0..{MAX_NODE}, got {node}")
        self._node = node
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    @property
    def node(self) -> int:
        return self._node

    @property
    def node_id(self) -> int | None:
        return self._node

    def next_id(self) -> int:
        with self._lock:
            now = _now_ms()
            if now < self._last_ms:  # the clock stepped back: keep ids increasing
                now = self._last_ms
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & _MAX_SEQUENCE
                if self._sequence == 0:
                    while now <= self._last_ms:
                        now = _now_ms()
            else:
                self._sequence = 0
            self._last_ms = now
            return (
                ((now - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS))
                | (self._node << SEQUENCE_BITS)
                | self._sequence
            )


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def id_time_ms(snowflake: int) -> int:
    """The Unix time in milliseconds at which `snowflake` was made."""
    return (snowflake >> (NODE_BITS + SEQUENCE_BITS)) + EPOCH_MS


def id_node(snowflake: int) -> int:
    """The node id that made `snowflake`."""
    return (snowflake >> SEQUENCE_BITS) & MAX_NODE


def id_at_ms(unix_ms: int) -> int:
    """The smallest id made at `unix_ms`: a lower bound for range queries by time."""
    return (unix_ms - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)
