import pytest

from chirp.stack.trending import score

HOUR_S = 3600
# 2024-06-01T12:30:00Z: a minute boundary, so minute arithmetic below is exact.
NOW_MS = 1_717_245_000_000
NOW = score.minute_of(NOW_MS)


def test_the_seeds_example_one_hour_of_50k_mentions_at_a_steady_rate():
    # 50,000 mentions spread evenly over the last hour: velocity is the hourly rate,
    # and the first mention is one hour old.
    per_minute = {NOW - 59 + i: 50_000 // 60 for i in range(60)}
    mentions = sum(per_minute.values())
    velocity = sum(per_minute[m] for m in range(NOW - 4, NOW + 1)) * 12
    expected = mentions * 1000 + velocity * 500 - (59 / 60) * 10
    assert score.score(per_minute, NOW_MS, HOUR_S) == pytest.approx(expected)


def test_one_mention_now_scores_mentions_plus_hourly_velocity():
    assert score.score({NOW: 1}, NOW_MS, HOUR_S) == pytest.approx(1 * 1000 + 12 * 500)


def test_velocity_counts_only_the_last_five_minutes():
    old = score.score({NOW - 5: 1}, NOW_MS, HOUR_S)
    recent = score.score({NOW - 4: 1}, NOW_MS, HOUR_S)
    assert old == pytest.approx(1000 - (5 / 60) * 10)
    assert recent == pytest.approx(1000 + 6000 - (4 / 60) * 10)


def test_age_is_hours_since_the_first_minute_with_a_mention():
    assert score.score({NOW - 30: 1, NOW - 10: 1}, NOW_MS, HOUR_S) == pytest.approx(2000 - 0.5 * 10)


def test_counts_outside_the_window_are_ignored():
    assert score.score({NOW - 60: 100}, NOW_MS, HOUR_S) is None
    assert score.score({NOW - 59: 1, NOW - 60: 100}, NOW_MS, HOUR_S) == pytest.approx(
        1000 - (59 / 60) * 10
    )


def test_zero_or_negative_counts_are_not_mentions():
    assert score.score({NOW: 0, NOW - 1: -1}, NOW_MS, HOUR_S) is None


def test_a_score_decays_as_the_window_slides():
    counts = {NOW: 10}
    now_score = score.score(counts, NOW_MS, HOUR_S)
    later = score.score(counts, NOW_MS + 10 * 60_000, HOUR_S)
    gone = score.score(counts, NOW_MS + 60 * 60_000, HOUR_S)
    assert now_score is not None and later is not None
    assert now_score > later
    assert gone is None


def test_more_mentions_rank_higher_and_ties_go_by_name():
    ranked = score.rank(
        {"b": {NOW: 1}, "a": {NOW: 1}, "big": {NOW: 3}, "gone": {NOW - 90: 9}},
        NOW_MS,
        HOUR_S,
        top=10,
    )
    assert [tag for tag, _ in ranked] == ["big", "a", "b"]


def test_rank_keeps_the_top_n():
    counts = {f"t{i}": {NOW: i} for i in range(1, 6)}
    assert [t for t, _ in score.rank(counts, NOW_MS, HOUR_S, top=2)] == ["t5", "t4"]


def test_window_minutes_end_with_the_current_minute():
    minutes = score.window_minutes(NOW_MS + 59_999, HOUR_S)
    assert len(minutes) == 60
    assert minutes[-1] == NOW
    assert minutes[0] == NOW - 59
