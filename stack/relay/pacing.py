"""How long the relay rests between passes, and what its next pass reads. Pure, so it is
unit tested alone.

Busy: a pass that found a full batch goes again at once; one that found some records
rests `busy_s` (so a trickle of posts does not spin the loop, and DynamoDB Local with
it). Idle: every empty pass doubles the rest, up to the idle pause the caller gives:
long while the relay hears the gateways' nudges (a write wakes it at once), about a
second while it does not. The first record brings the short rest back.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Pacer:
    busy_s: float
    _rest_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._rest_s = self.busy_s

    def rest_after(self, records: int, full: bool, idle_s: float) -> float:
        """Seconds to rest after a pass that read `records` (`full`: more are waiting)."""
        if full:
            self._rest_s = self.busy_s
            return 0.0
        if records:
            self._rest_s = self.busy_s
        else:
            self._rest_s = min(idle_s, max(self._rest_s * 2, self.busy_s))
        return self._rest_s

    def woken(self) -> None:
        """A nudge cut the rest short: back off from the short rest again, so a record
        not yet readable when the nudge came is found a moment later, not an idle pause."""
        self._rest_s = self.busy_s

    def is_idle(self, rest_s: float) -> bool:
        """A rest longer than a busy one: a nudge may cut it short."""
        return rest_s > self.busy_s


@dataclass
class Focus:
    """The sources (streamed tables, the outbox) the relay's next pass reads; None: all.

    A nudge narrows it to what the nudge named and what the last pass still found records
    in; later nudges add to it. An idle pause that runs to its end without a nudge widens
    it to everything: the safety net for a write nobody announced (a lost nudge, a
    process that writes without nudging)."""

    sources: frozenset[str] | None = None

    def after_rest(
        self,
        written: frozenset[str] | None,
        woken: bool,
        rested_to_cap: bool,
        active: frozenset[str],
    ) -> None:
        """`written`: what nudges named during the rest (None: one named everything);
        `active`: the sources the last pass read records from."""
        if written is None or (rested_to_cap and not woken):
            self.sources = None
        elif woken:
            self.sources = written | active
        elif self.sources is not None:
            self.sources = self.sources | written

    def wants(self, source: str) -> bool:
        return self.sources is None or source in self.sources
