"""The integrity ledger's judgement: lost, duplicated and unknown, without a stack."""

from __future__ import annotations

import pytest

from chirp.infra.chaos.ledger import Observation, Outcome, Write, classify, outcome_of

ALL = ("timeline", "feeds", "search")
AUTHOR, OTHER = "100", "200"
FOLLOWERS = {AUTHOR: ["11", "12"], OTHER: ["21"]}


def acked(seq: int, tweet_id: str, author: str = AUTHOR) -> Write:
    return Write(seq, author, f"w{seq}", Outcome.acknowledged, t=seq, tweet_id=tweet_id, status=201)


def unknown(seq: int, author: str = AUTHOR, status: int | None = None) -> Write:
    return Write(seq, author, f"w{seq}", Outcome.unknown, t=seq, status=status)


def refused(seq: int, author: str = AUTHOR) -> Write:
    return Write(seq, author, f"w{seq}", Outcome.refused, t=seq, status=429)


def seen(
    entries: dict[str, list[tuple[str, str]]],
    feeds: dict[str, list[str]] | None = None,
    search: list[str] | None = None,
) -> Observation:
    """An observation where, unless told otherwise, every timeline tweet is everywhere once."""
    ids = {a: [t for t, _ in items] for a, items in entries.items()}
    if feeds is None:
        feeds = {f: ids.get(a, []) for a, fs in FOLLOWERS.items() for f in fs}
    if search is None:
        search = [t for items in ids.values() for t in items]
    return Observation(timelines=entries, feeds=feeds, search=search, followers_of=FOLLOWERS)


def text(seq: int) -> str:
    return f"chaos ledger run w{seq}"


@pytest.mark.parametrize(
    ("status", "tweet_id", "outcome"),
    [
        (201, "7", Outcome.acknowledged),
        (201, None, Outcome.unknown),
        (429, None, Outcome.refused),
        (503, None, Outcome.refused),
        (500, None, Outcome.unknown),
        (502, None, Outcome.unknown),
        (504, None, Outcome.unknown),
        (None, None, Outcome.unknown),
        (422, None, Outcome.rejected),
        (401, None, Outcome.rejected),
    ],
)
def test_outcome_of_each_answer(status, tweet_id, outcome):
    assert outcome_of(status, tweet_id) is outcome


def test_everything_in_place_is_clean():
    writes = [acked(1, "1"), acked(2, "2"), acked(3, "3", OTHER)]
    observed = seen({AUTHOR: [("2", text(2)), ("1", text(1))], OTHER: [("3", text(3))]})
    report = classify(writes, observed, ALL)
    assert report.acknowledged == 3
    assert (report.lost, report.duplicated, report.findings) == ([], [], [])
    assert report.complete


def test_acknowledged_but_missing_from_one_feed_is_lost():
    writes = [acked(1, "1"), acked(2, "2")]
    observed = seen(
        {AUTHOR: [("2", text(2)), ("1", text(1))]}, feeds={"11": ["2", "1"], "12": ["2"]}
    )
    report = classify(writes, observed, ALL)
    assert report.lost == ["1"]
    assert report.missing_by_place() == {"feed": 1}
    assert [(f.where, f.problem) for f in report.findings] == [("feed:12", "missing")]
    assert not report.complete


def test_acknowledged_but_missing_from_the_timeline_is_lost():
    writes = [acked(1, "1")]
    observed = seen({AUTHOR: []}, feeds={"11": ["1"], "12": ["1"]}, search=["1"])
    report = classify(writes, observed, ALL)
    assert report.lost == ["1"]
    assert report.missing_by_place() == {"timeline": 1}


def test_not_searchable_is_lost_only_when_search_is_checked():
    writes = [acked(1, "1")]
    observed = seen({AUTHOR: [("1", text(1))]}, search=[])
    assert classify(writes, observed, ALL).lost == ["1"]
    assert classify(writes, observed, ("timeline", "feeds")).lost == []


def test_twice_in_a_feed_is_duplicated():
    writes = [acked(1, "1")]
    observed = seen({AUTHOR: [("1", text(1))]}, feeds={"11": ["1", "1"], "12": ["1"]})
    report = classify(writes, observed, ALL)
    assert report.duplicated == ["1"]
    assert report.lost == []
    assert report.complete, "a duplicate is not missing: polling more would not help"


def test_one_text_stored_twice_is_duplicated():
    writes = [acked(1, "1")]
    observed = seen({AUTHOR: [("9", text(1)), ("1", text(1))]})
    report = classify(writes, observed, ALL)
    assert report.duplicated == ["1"]


def test_twice_in_search_is_duplicated():
    writes = [acked(1, "1")]
    report = classify(writes, seen({AUTHOR: [("1", text(1))]}, search=["1", "1"]), ALL)
    assert report.duplicated == ["1"]


def test_refused_writes_are_expected_nowhere():
    writes = [refused(1), acked(2, "2")]
    report = classify(writes, seen({AUTHOR: [("2", text(2))]}), ALL)
    assert (report.refused, report.lost, report.findings) == (1, [], [])


def test_unknown_writes_are_settled_by_the_timeline():
    writes = [unknown(1, status=502), unknown(2), acked(3, "3")]
    observed = seen({AUTHOR: [("3", text(3)), ("1", text(1))]})
    report = classify(writes, observed, ALL)
    assert (report.unknown, report.unknown_stored, report.unknown_absent) == (2, 1, 1)
    assert report.lost == [] and report.undelivered_unknown == []
    assert report.unknown_writes[0] == {"word": "w1", "status": 502, "t": 1, "found": ["1"]}


def test_an_unknown_write_that_was_stored_must_be_delivered_but_is_not_lost():
    writes = [unknown(1)]
    observed = seen({AUTHOR: [("1", text(1))]}, feeds={"11": [], "12": ["1"]})
    report = classify(writes, observed, ALL)
    assert report.lost == []
    assert report.undelivered_unknown == ["1"]


def test_an_unknown_write_stored_twice_is_duplicated():
    writes = [unknown(1)]
    observed = seen({AUTHOR: [("8", text(1)), ("1", text(1))]})
    assert classify(writes, observed, ALL).duplicated == ["8"]


def test_words_only_match_whole_tokens():
    writes = [acked(1, "1"), acked(11, "11")]
    observed = seen({AUTHOR: [("11", text(11)), ("1", text(1))]})
    report = classify(writes, observed, ALL)
    assert report.duplicated == [] and report.lost == []


def test_counts_and_the_journal_shape():
    writes = [acked(1, "1"), refused(2), unknown(3), Write(4, AUTHOR, "w4", Outcome.rejected, 4)]
    report = classify(writes, seen({AUTHOR: [("1", text(1))]}), ALL)
    data = report.as_dict()
    assert data["attempted"] == 4
    assert (data["acknowledged"], data["refused"], data["unknown"], data["rejected"]) == (
        1,
        1,
        1,
        1,
    )
    assert data["findings_total"] == 0
    assert data["missing_by_place"] == {}
