"""The integrity ledger's bookkeeping: what each post's answer means, and what was lost.

Pure logic, no network: `outcome_of` classifies one answer to `POST /tweets`, `classify`
compares the writes with what the stack shows afterwards (author timelines, follower
feeds, search hits) and says what is lost and what is duplicated.

- acknowledged: 201 with a tweet id. It must be in the author's timeline, in each
  follower's feed exactly once, and searchable. Missing anywhere = lost.
- refused: 429 or 503, the stack said no; nothing is expected.
- unknown: a 5xx or no answer at all; the tweet may exist. The author's timeline decides:
  found once = stored (then it must be delivered like an acknowledged one), not found =
  absent, found twice = duplicated.
- rejected: another 4xx; the writer's own mistake, reported apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    acknowledged = "acknowledged"
    refused = "refused"
    unknown = "unknown"
    rejected = "rejected"


@dataclass(frozen=True)
class Write:
    """One post the writer attempted; `word` is unique to it and appears in its text."""

    seq: int
    author_id: str
    word: str
    outcome: Outcome
    t: float
    tweet_id: str | None = None
    status: int | None = None


def outcome_of(status: int | None, tweet_id: str | None) -> Outcome:
    """What one answer to `POST /api/v1/tweets` means for the ledger."""
    if status is None or (status >= 500 and status != 503):
        return Outcome.unknown
    if status in (429, 503):
        return Outcome.refused
    if 200 <= status < 300:
        return Outcome.acknowledged if tweet_id else Outcome.unknown
    return Outcome.rejected


@dataclass
class Observation:
    """What the stack shows after recovery, as read through its API."""

    timelines: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """author id → (tweet id, text) of every tweet on the author's timeline"""
    feeds: dict[str, list[str]] = field(default_factory=dict)
    """follower id → tweet ids on the follower's home feed, in page order"""
    search: list[str] | None = None
    """tweet ids search returned for the drill's run word (every page); None: not checked"""
    followers_of: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    tweet_id: str
    author_id: str
    word: str
    where: str
    """`timeline`, `feed:<follower id>` or `search`"""
    problem: str
    """`missing` or `duplicated`"""


@dataclass
class LedgerReport:
    attempted: int = 0
    acknowledged: int = 0
    refused: int = 0
    rejected: int = 0
    unknown: int = 0
    unknown_stored: int = 0
    unknown_absent: int = 0
    lost: list[str] = field(default_factory=list)
    """acknowledged tweet ids missing from at least one place"""
    duplicated: list[str] = field(default_factory=list)
    """tweet ids (or words of unknown writes) present more than once somewhere"""
    undelivered_unknown: list[str] = field(default_factory=list)
    """stored writes of unknown outcome missing from a place an acknowledged one must be"""
    findings: list[Finding] = field(default_factory=list)
    unknown_writes: list[dict[str, Any]] = field(default_factory=list)
    """each write of unknown outcome: its word, the status seen, what the timeline showed"""

    @property
    def complete(self) -> bool:
        """Nothing missing: every expected entry was seen (duplicates do not heal)."""
        return not any(f.problem == "missing" for f in self.findings)

    def missing_by_place(self) -> dict[str, int]:
        places = Counter(f.where.split(":")[0] for f in self.findings if f.problem == "missing")
        return dict(sorted(places.items()))

    def as_dict(self, max_findings: int = 50) -> dict[str, Any]:
        data = asdict(self)
        data["findings"] = [asdict(f) for f in self.findings[:max_findings]]
        data["findings_total"] = len(self.findings)
        data["missing_by_place"] = self.missing_by_place()
        return data


def classify(
    writes: Sequence[Write], observed: Observation, checks: Collection[str]
) -> LedgerReport:
    """Compare the writes with what the stack shows; `checks` picks among timeline, feeds
    and search (the timeline is always read: it settles the unknown writes)."""
    report = LedgerReport(attempted=len(writes))
    counts = Counter(w.outcome for w in writes)
    report.acknowledged = counts[Outcome.acknowledged]
    report.refused = counts[Outcome.refused]
    report.rejected = counts[Outcome.rejected]
    report.unknown = counts[Outcome.unknown]
    by_word = _timeline_ids_by_word(writes, observed)
    expected: list[tuple[Write, str]] = []
    for write in writes:
        ids = by_word.get(write.word, [])
        if write.outcome is Outcome.acknowledged and write.tweet_id:
            expected.append((write, write.tweet_id))
            if len(ids) > 1:
                report.findings.append(_finding(write, write.tweet_id, "timeline", "duplicated"))
        elif write.outcome is Outcome.unknown:
            report.unknown_writes.append(
                {"word": write.word, "status": write.status, "t": round(write.t, 2), "found": ids}
            )
            if not ids:
                report.unknown_absent += 1
                continue
            report.unknown_stored += 1
            expected.append((write, ids[0]))
            if len(ids) > 1:
                report.findings.append(_finding(write, ids[0], "timeline", "duplicated"))
    for write, tweet_id in expected:
        report.findings += _placed(write, tweet_id, observed, checks)
    _summarise(report, expected)
    return report


def _timeline_ids_by_word(writes: Sequence[Write], observed: Observation) -> dict[str, list[str]]:
    """word → tweet ids whose text carries it, over the authors' timelines."""
    words = {w.word for w in writes}
    found: dict[str, list[str]] = {}
    for entries in observed.timelines.values():
        for tweet_id, text in entries:
            for token in set(text.split()) & words:
                found.setdefault(token, []).append(tweet_id)
    return found


def _placed(
    write: Write, tweet_id: str, observed: Observation, checks: Collection[str]
) -> list[Finding]:
    findings = []
    timeline = [t for t, _ in observed.timelines.get(write.author_id, [])]
    places: list[tuple[str, list[str]]] = [("timeline", timeline)]
    if "feeds" in checks:
        places += [
            (f"feed:{follower}", observed.feeds.get(follower, []))
            for follower in observed.followers_of.get(write.author_id, [])
        ]
    if "search" in checks and observed.search is not None:
        places.append(("search", observed.search))
    for where, ids in places:
        seen = ids.count(tweet_id)
        if seen == 0:
            findings.append(_finding(write, tweet_id, where, "missing"))
        elif seen > 1:
            findings.append(_finding(write, tweet_id, where, "duplicated"))
    return findings


def _summarise(report: LedgerReport, expected: list[tuple[Write, str]]) -> None:
    missing = {f.tweet_id for f in report.findings if f.problem == "missing"}
    report.duplicated = sorted({f.tweet_id for f in report.findings if f.problem == "duplicated"})
    for write, tweet_id in expected:
        if tweet_id not in missing:
            continue
        if write.outcome is Outcome.acknowledged:
            report.lost.append(tweet_id)
        else:
            report.undelivered_unknown.append(tweet_id)


def _finding(write: Write, tweet_id: str, where: str, problem: str) -> Finding:
    return Finding(tweet_id, write.author_id, write.word, where, problem)


# Follows (PostgreSQL drills): the same outcomes, judged against the fans' following lists.


@dataclass(frozen=True)
class FollowWrite:
    """One follow the writer attempted: `fan_id` follows `star_id`."""

    seq: int
    fan_id: str
    star_id: str
    outcome: Outcome
    t: float
    status: int | None = None

    @property
    def pair(self) -> str:
        return f"{self.fan_id}->{self.star_id}"


@dataclass
class FollowReport:
    attempted: int = 0
    acknowledged: int = 0
    refused: int = 0
    rejected: int = 0
    unknown: int = 0
    unknown_stored: int = 0
    lost: list[str] = field(default_factory=list)
    """acknowledged follows (fan->star) missing from the fan's following list"""
    write_outage_s: float | None = None
    """from the first follow that failed to the first acknowledged after the last failure"""

    @property
    def complete(self) -> bool:
        return not self.lost

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def follow_outcome(status: int | None) -> Outcome:
    """What one answer to `PUT /users/{fan}/following/{star}` means: 204 acknowledges it."""
    return outcome_of(status, "followed" if status == 204 else None)


def classify_follows(
    writes: Sequence[FollowWrite], following: dict[str, Collection[str]]
) -> FollowReport:
    """Compare the follows with the fans' following lists (fan id → star ids)."""
    counts = Counter(w.outcome for w in writes)
    report = FollowReport(
        attempted=len(writes),
        acknowledged=counts[Outcome.acknowledged],
        refused=counts[Outcome.refused],
        rejected=counts[Outcome.rejected],
        unknown=counts[Outcome.unknown],
        write_outage_s=write_outage_s(writes),
    )
    for write in writes:
        found = write.star_id in following.get(write.fan_id, ())
        if write.outcome is Outcome.acknowledged and not found:
            report.lost.append(write.pair)
        elif write.outcome is Outcome.unknown and found:
            report.unknown_stored += 1
    return report


def write_outage_s(writes: Sequence[FollowWrite | Write]) -> float | None:
    """How long writes failed: first failure to the first acknowledgement after the last
    failure (to the last attempt when none came). None when nothing failed."""
    ordered = sorted(writes, key=lambda w: w.t)
    failed = [w.t for w in ordered if w.outcome in (Outcome.unknown, Outcome.refused)]
    if not failed:
        return None
    healed = [w.t for w in ordered if w.outcome is Outcome.acknowledged and w.t > failed[-1]]
    end = healed[0] if healed else ordered[-1].t
    return round(end - failed[0], 2)
