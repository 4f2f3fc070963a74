"""How long the relay rests between passes. Pure, so it is unit tested alone.

Busy: a pass that found a full batch goes again at once; one that found some records
rests `busy_s` (so a trickle of posts does not spin the loop and DynamoDB Local with it).
Idle: every empty pass doubles the rest, up to `idle_s`; the first record resets it.
So an idle stack is polled about once a second, and a post that arrives then waits at
most `idle_s` before the relay sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Pacer:
    busy_s: float
    idle_s: float
    _rest_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._rest_s = self.busy_s

    def rest_after(self, records: int, full: bool) -> float:
        """Seconds to wait after a pass that read `records` (`full`: more are waiting)."""
        if full:
            self._rest_s = self.busy_s
            return 0.0
        if records:
            self._rest_s = self.busy_s
        else:
            self._rest_s = min(self.idle_s, max(self._rest_s * 2, self.busy_s))
        return self._rest_s
