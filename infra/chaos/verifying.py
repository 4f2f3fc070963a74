"""After the traffic stopped: was every acknowledged write kept? Polls until seen, no timing.

With `repair_feeds`, feeds still missing entries once the stack settled lost them (written
to a cache node that died before it replicated them): those feeds are regenerated from the
stores before the final verification.
"""

from __future__ import annotations

from typing import Any

from chirp.infra.chaos.client import Api
from chirp.infra.chaos.follows import FollowVerification, verify_follows
from chirp.infra.chaos.integrity import Cast, Verification, verify
from chirp.infra.chaos.ledger import LedgerReport, Write
from chirp.infra.chaos.model import Drill
from chirp.infra.chaos.stackops import StackOps
from chirp.infra.chaos.stopping import Stopping
from chirp.infra.chaos.timeline import Timeline
from chirp.infra.chaos.traffic import Traffic

_SETTLE_S = 30.0
"""With `repair_feeds`: how long feeds may take to show everything before a repair."""


class Verifier:
    def __init__(self, drill: Drill, api: Api, stack: StackOps, timeline: Timeline) -> None:
        self.drill = drill
        self.api = api
        self.stack = stack
        self.timeline = timeline
        self.verification: Verification | None = None
        self.follow_verification: FollowVerification | None = None
        self.feed_repair: dict[str, Any] | None = None

    def run(self, traffic: Traffic, stopping: Stopping) -> None:
        if traffic.cast is None or traffic.writer is None:
            return
        self.timeline.enter("verify")
        writes = traffic.writer.writes()
        self.timeline.note(f"verifying {len(writes)} ledger writes (polls until seen, no timing)")
        ledger = self.drill.ledger
        if ledger.repair_feeds:
            settle_s = min(_SETTLE_S, ledger.verify_timeout_s)
            settled = self._verify_posts(traffic.cast, writes, settle_s, stopping)
            self._repair_feeds(settled.report)
        self.verification = self._verify_posts(
            traffic.cast, writes, ledger.verify_timeout_s, stopping
        )
        if self.feed_repair is not None:
            self.feed_repair["missing_after"] = self.verification.report.missing_by_place().get(
                "feed", 0
            )
        if traffic.follow_cast is not None and traffic.follower is not None:
            follows = traffic.follower.writes()
            self.timeline.note(f"verifying {len(follows)} follows")
            self.follow_verification = verify_follows(
                self.api, traffic.follow_cast, follows, ledger.verify_timeout_s, stopping.event
            )

    def _verify_posts(
        self, cast: Cast, writes: list[Write], timeout_s: float, stopping: Stopping
    ) -> Verification:
        def on_round(rounds: int, report: Any) -> None:
            missing = ", ".join(f"{k} {v}" for k, v in report.missing_by_place().items())
            self.timeline.emit("ledger", f"round {rounds}: missing {missing or 'nothing'}")

        checks = self.drill.ledger.checks
        return verify(self.api, cast, writes, checks, timeout_s, stopping.event, on_round)

    def _repair_feeds(self, report: LedgerReport) -> None:
        readers = sorted(
            {f.where.split(":", 1)[1] for f in report.findings if f.where.startswith("feed:")}
        )
        missing = report.missing_by_place().get("feed", 0)
        self.feed_repair = {"missing_before": missing, "feeds_regenerated": len(readers)}
        if readers:
            self.timeline.note(f"{missing} feed entries lost; regenerating {len(readers)} feeds")
            self.feed_repair["detail"] = self.stack.regenerate_feeds(readers)
