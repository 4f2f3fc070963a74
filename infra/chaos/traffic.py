"""A drill's traffic: the ledger's users, the probe, the integrity writers and the
background load; started together at setup, stopped together after the run."""

from __future__ import annotations

import secrets
from pathlib import Path

from chirp.core.errors import CastFailed, DrillCannotRun
from chirp.core.provider import Provider
from chirp.infra.chaos.client import Api, Reply
from chirp.infra.chaos.follows import FollowCast, FollowWriter, create_follow_cast
from chirp.infra.chaos.integrity import (
    Cast,
    LedgerWriter,
    authors_needed,
    create_cast,
    warm_feeds,
)
from chirp.infra.chaos.ledger import FollowWrite, Write
from chirp.infra.chaos.loadproc import BackgroundLoad
from chirp.infra.chaos.metrics import Sample
from chirp.infra.chaos.model import Drill
from chirp.infra.chaos.probes import Prober, Target
from chirp.infra.chaos.timeline import Timeline

_LOAD_GRACE_S = 30.0
_MAX_FOLLOWS = 400


class Traffic:
    """What runs against the stack while faults land, and what it saw."""

    def __init__(self, drill: Drill, api: Api, timeline: Timeline) -> None:
        self.drill = drill
        self.api = api
        self.timeline = timeline
        self.cast: Cast | None = None
        self.follow_cast: FollowCast | None = None
        self.prober: Prober | None = None
        self.writer: LedgerWriter | None = None
        self.follower: FollowWriter | None = None
        self.load: BackgroundLoad | None = None

    def start(self, provider: Provider, journal_dir: Path, with_load: bool) -> None:
        """Create the ledger's users, then start the probe, the writers and the load."""
        settings = provider.settings
        ledger = self.drill.ledger
        run_word = "cx" + secrets.token_hex(4)
        horizon_s = self.drill.planned_s + self.drill.timing.recovery_timeout_s + 30
        authors = authors_needed(ledger.rate, horizon_s, settings.tweets_per_hour)
        self.timeline.note(
            f"creating the ledger's users: {authors} authors x {ledger.followers} followers"
        )
        try:
            self.cast = create_cast(self.api, run_word, authors, ledger.followers)
        except CastFailed as error:
            raise DrillCannotRun(str(error)) from error
        warm_feeds(self.api, self.cast)
        if ledger.follows_rate > 0:
            pairs = min(_MAX_FOLLOWS, int(ledger.follows_rate * horizon_s) + 1)
            self.timeline.note(f"creating the follow ledger's users for {pairs} follows")
            try:
                self.follow_cast = create_follow_cast(self.api, run_word, pairs)
            except CastFailed as error:
                raise DrillCannotRun(str(error)) from error
        self.prober = Prober(
            provider.endpoints(),
            self.api,
            self.cast,
            list(self.drill.probe.endpoints),
            self.timeline.clock,
            self._sample_phase,
            self._on_sample,
        )
        clock = self.timeline.clock
        self.writer = LedgerWriter(self.api, self.cast, ledger.rate, clock, self._on_write)
        if self.follow_cast is not None:
            self.follower = FollowWriter(
                self.api, self.follow_cast, ledger.follows_rate, clock, self._on_follow
            )
        if with_load:
            self.load = BackgroundLoad(
                settings, self.drill.load.scenario, self.drill.planned_s, journal_dir / "load"
            )
            self.load.start()
            self.timeline.note(
                f"background load: chirp load {self.drill.load.scenario} (pid {self.load.pid})"
            )
        self.prober.start()
        self.writer.start()
        if self.follower is not None:
            self.follower.start()

    def stop(self, hard: bool) -> None:
        """Stop everything; the load finishes its run unless `hard` (a run cut short)."""
        if self.writer is not None:
            self.writer.stop()
        if self.follower is not None:
            self.follower.stop()
        if self.load is not None and self.load.exit_code() is None:
            if hard:
                self.load.stop()
            else:
                self.load.finish(wait_s=_LOAD_GRACE_S)
        if self.prober is not None:
            self.prober.stop()

    def samples(self) -> list[Sample]:
        return self.prober.samples() if self.prober else []

    def aim_probe(self) -> None:
        """From the restore on, the probe watches the last tweet acknowledged before it."""
        if self.writer is None or self.prober is None or self.cast is None:
            return
        last = self.writer.last_acknowledged()
        if last is None or last.tweet_id is None:
            return
        reader = self.cast.followers_of[last.author_id][0]
        self.prober.set_target(Target(last.tweet_id, last.word, reader))

    def _on_write(self, write: Write, reply: Reply) -> None:
        if self.prober is not None:
            self.prober.record_write(write, reply)

    def _on_follow(self, write: FollowWrite, reply: Reply) -> None:
        if self.prober is not None:
            self.prober.record_follow(write, reply)

    def _sample_phase(self) -> str:
        """Rollbacks still belong to the fault window: it ends once they are done."""
        if self.timeline.phase == "rollback" and "injected" in self.timeline.marks:
            return "during"
        return self.timeline.phase

    def _on_sample(self, sample: Sample) -> None:
        self.timeline.emit("sample", "", sample)
