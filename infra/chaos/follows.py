"""The follow ledger: for drills that break PostgreSQL, where follows live.

Fans follow stars at a steady rate, each pair once, every answer recorded. After recovery
`verify_follows` reads each fan's following list (through the API, so through whatever
replica routing the stack does) until every acknowledged follow is there or a generous
deadline passes; `infra.chaos.ledger.classify_follows` judges.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from chirp.infra.chaos.client import Api, Reply
from chirp.infra.chaos.integrity import Member, PacedWriter, all_pages, sign_up
from chirp.infra.chaos.ledger import FollowReport, FollowWrite, classify_follows, follow_outcome

_FOLLOW_TIMEOUT_S = 10.0
_POLL_S = 2.0

FollowCallback = Callable[[FollowWrite, Reply], None]


@dataclass(frozen=True)
class FollowCast:
    """Stars to be followed and fans who follow them, one pair at a time."""

    fans: list[Member]
    stars: list[Member]

    def pairs(self) -> list[tuple[Member, Member]]:
        """Every (fan, star) pair; the star changes fastest, so no star gets a burst."""
        return [(fan, star) for fan in self.fans for star in self.stars]


def cast_size(pairs_needed: int) -> tuple[int, int]:
    """(fans, stars) whose product covers `pairs_needed` with the fewest sign-ups."""
    side = max(1, math.ceil(math.sqrt(pairs_needed)))
    return side, max(1, math.ceil(pairs_needed / side))


def create_follow_cast(api: Api, run_word: str, pairs_needed: int) -> FollowCast:
    """Sign up enough fans and stars through the API; CastFailed on any refusal."""
    fans, stars = cast_size(pairs_needed)
    return FollowCast(
        fans=[sign_up(api, f"{run_word}fan{n}") for n in range(fans)],
        stars=[sign_up(api, f"{run_word}star{n}") for n in range(stars)],
    )


class FollowWriter(PacedWriter[FollowWrite]):
    """Follows pair after pair at `rate` per second until stopped or out of pairs."""

    thread_name = "chaos-follows"

    def __init__(
        self,
        api: Api,
        cast: FollowCast,
        rate: float,
        clock: Callable[[], float],
        on_write: FollowCallback,
    ) -> None:
        super().__init__(rate)
        self.api = api
        self.clock = clock
        self.on_write = on_write
        self._pairs = cast.pairs()

    def _next(self, seq: int) -> Callable[[], None] | None:
        if seq >= len(self._pairs):
            return None
        fan, star = self._pairs[seq]
        return functools.partial(self._follow, seq, fan, star)

    def _follow(self, seq: int, fan: Member, star: Member) -> None:
        started = self.clock()
        answer = self.api.call(
            "PUT",
            f"/api/v1/users/{fan.user_id}/following/{star.user_id}",
            token=fan.token,
            timeout_s=_FOLLOW_TIMEOUT_S,
        )
        write = FollowWrite(
            seq=seq,
            fan_id=fan.user_id,
            star_id=star.user_id,
            outcome=follow_outcome(answer.status),
            t=started,
            status=answer.status,
        )
        self._record(write)
        self.on_write(write, answer)


@dataclass
class FollowVerification:
    report: FollowReport
    rounds: int
    seconds: float
    unreadable: list[str]


def verify_follows(
    api: Api,
    cast: FollowCast,
    writes: list[FollowWrite],
    timeout_s: float,
    stop: threading.Event,
) -> FollowVerification:
    """Read the fans' following lists until nothing acknowledged is missing or time is up."""
    started = time.monotonic()
    rounds = 0
    while True:
        rounds += 1
        following, unreadable = _following_lists(api, cast)
        report = classify_follows(writes, following)
        out_of_time = time.monotonic() - started >= timeout_s
        if report.complete or out_of_time or stop.wait(_POLL_S):
            return FollowVerification(report, rounds, time.monotonic() - started, unreadable)


def _following_lists(api: Api, cast: FollowCast) -> tuple[dict[str, set[str]], list[str]]:
    following: dict[str, set[str]] = {}
    unreadable: list[str] = []
    for fan in cast.fans:
        path = f"/api/v1/users/{fan.user_id}/following"
        items = all_pages(api, path, {"limit": 100}, fan.token)
        if items is None:
            unreadable.append(f"following:{fan.user_id}")
        following[fan.user_id] = {str(item.get("user_id")) for item in items or []}
    return following, unreadable
