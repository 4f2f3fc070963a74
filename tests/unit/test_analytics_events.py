from datetime import UTC, datetime

from chirp.stack import events
from chirp.stack.analytics.worker import seen_in

AT_MS = 1_717_245_012_345  # 2024-06-01T12:30:12.345Z
MINUTE = datetime(2024, 6, 1, 12, 30, tzinfo=UTC)


def test_a_tweet_counts_itself_and_its_author_as_active_in_its_minute():
    event = events.TweetCreated(at_ms=AT_MS, tweet_id=5, user_id=1, text="x")
    assert {(s.minute, s.kind, s.key) for s in seen_in(event)} == {
        (MINUTE, "tweet", "5"),
        (MINUTE, "active", "1"),
    }


def test_a_like_and_a_follow_are_identified_by_actor_object_and_time():
    like = events.LikeAdded(at_ms=AT_MS, tweet_id=5, user_id=1, author_id=2)
    unfollow = events.FollowChanged(at_ms=AT_MS, user_id=1, followee_id=2, following=False)
    assert (MINUTE, "like", f"1:5:{AT_MS}") in {(s.minute, s.kind, s.key) for s in seen_in(like)}
    assert (MINUTE, "unfollow", f"1:2:{AT_MS}") in {
        (s.minute, s.kind, s.key) for s in seen_in(unfollow)
    }


def test_an_edit_only_marks_its_author_active():
    event = events.TweetEdited(at_ms=AT_MS, tweet_id=5, user_id=1, text="y")
    assert [(s.kind, s.key) for s in seen_in(event)] == [("active", "1")]
