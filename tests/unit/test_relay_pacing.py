"""The relay's pure parts: its rests between passes (at once while batches are full,
briefly while records trickle in, doubling to the idle pause while nothing comes), which
sources its next pass reads, the lag figure its monitor computes per partition, and
DescribeStream's pages."""

from chirp.stack.relay.lag import partition_lags
from chirp.stack.relay.pacing import Focus, Pacer
from chirp.stack.relay.streams import all_pages
from chirp.stack.relay.wakeup import EVERYTHING, named


def test_an_idle_relay_backs_off_to_the_idle_pause_and_stays_there():
    pacer = Pacer(busy_s=0.05)
    rests = [pacer.rest_after(0, full=False, idle_s=1.0) for _ in range(8)]
    assert rests == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]


def test_the_first_record_brings_the_short_rest_back():
    pacer = Pacer(busy_s=0.05)
    for _ in range(10):
        pacer.rest_after(0, full=False, idle_s=1.0)
    assert pacer.rest_after(3, full=False, idle_s=1.0) == 0.05
    assert pacer.rest_after(0, full=False, idle_s=1.0) == 0.1


def test_a_shorter_idle_pause_takes_effect_at_once():
    pacer = Pacer(busy_s=0.05)
    for _ in range(10):
        pacer.rest_after(0, full=False, idle_s=5.0)
    assert pacer.rest_after(0, full=False, idle_s=5.0) == 5.0
    assert pacer.rest_after(0, full=False, idle_s=1.0) == 1.0
    assert pacer.is_idle(1.0) and not pacer.is_idle(0.05)


def test_after_a_nudge_the_relay_backs_off_from_the_short_rest_again():
    pacer = Pacer(busy_s=0.05)
    for _ in range(10):
        pacer.rest_after(0, full=False, idle_s=5.0)
    pacer.woken()
    assert pacer.rest_after(0, full=False, idle_s=5.0) == 0.1


def test_a_full_batch_goes_again_at_once_and_a_partial_one_rests():
    pacer = Pacer(busy_s=0.05)
    assert pacer.rest_after(500, full=True, idle_s=1.0) == 0.0
    assert pacer.rest_after(20, full=False, idle_s=1.0) == 0.05


def test_lag_is_end_minus_committed_or_minus_start_before_any_commit():
    ends = {("t", 0): 10, ("t", 1): 7, ("t", 2): 5}
    committed = {("t", 0): 4, ("t", 1): -1001}  # -1001: Kafka's "no committed offset"
    starts = {("t", 1): 2, ("t", 2): 5}
    assert partition_lags(committed, ends, starts) == {("t", 0): 6, ("t", 1): 5, ("t", 2): 0}


def test_a_commit_past_the_end_is_no_negative_lag():
    assert partition_lags({("t", 0): 12}, {("t", 0): 10}, {}) == {("t", 0): 0}


def test_every_page_of_a_stream_description_is_followed():
    pages = {
        None: {"Shards": [{"ShardId": "a"}, {"ShardId": "b"}], "LastEvaluatedShardId": "b"},
        "b": {"Shards": [{"ShardId": "c"}], "LastEvaluatedShardId": "c"},
        "c": {"Shards": []},
    }
    asked: list[str | None] = []

    def describe(start: str | None) -> dict:
        asked.append(start)
        return pages[start]

    assert [s["ShardId"] for s in all_pages(describe)] == ["a", "b", "c"]
    assert asked == [None, "b", "c"]


def test_a_nudge_narrows_the_next_pass_to_what_it_named_and_what_still_flows():
    focus = Focus()
    assert focus.wants("tweets") and focus.wants("engagements") and focus.wants("outbox")
    focus.after_rest(
        frozenset({"tweets"}), woken=True, rested_to_cap=False, active=frozenset({"outbox"})
    )
    assert focus.wants("tweets") and focus.wants("outbox")
    assert not focus.wants("engagements")


def test_nudges_during_a_busy_rest_add_to_the_focus():
    focus = Focus(frozenset({"tweets"}))
    focus.after_rest(
        frozenset({"engagements"}), woken=False, rested_to_cap=False, active=frozenset()
    )
    assert focus.sources == {"tweets", "engagements"}


def test_an_idle_pause_that_runs_out_reads_everything_again():
    focus = Focus(frozenset({"tweets"}))
    focus.after_rest(frozenset(), woken=False, rested_to_cap=False, active=frozenset())
    assert focus.sources == {"tweets"}  # a short rest: the same sources again
    focus.after_rest(frozenset(), woken=False, rested_to_cap=True, active=frozenset())
    assert focus.sources is None


def test_a_nudge_that_names_everything_reads_everything():
    focus = Focus(frozenset({"tweets"}))
    focus.after_rest(None, woken=True, rested_to_cap=False, active=frozenset())
    assert focus.sources is None
    assert named("") == {EVERYTHING}
    assert named(b"tweets,engagements") == {"tweets", "engagements"}
