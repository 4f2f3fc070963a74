from chirp.stack import events
from chirp.stack.notify.worker import notifications_for


def _one(event, user_ids=None):
    return [
        (n.recipient_id, n.kind, n.actor_id, n.tweet_id, n.id)
        for n in notifications_for(event, user_ids or {})
    ]


def test_mentions_notify_each_known_user_but_not_the_author():
    event = events.TweetCreated(
        at_ms=1, tweet_id=50, user_id=1, text="hi", mentions=["ada", "ghost", "self"]
    )
    assert _one(event, {"ada": 2, "self": 1}) == [(2, "mention", 1, 50, "mention:1:50")]


def test_follow_notifies_the_followee_and_unfollow_nobody():
    follow = events.FollowChanged(at_ms=1, user_id=1, followee_id=2, following=True)
    unfollow = events.FollowChanged(at_ms=2, user_id=1, followee_id=2, following=False)
    assert _one(follow) == [(2, "follow", 1, None, "follow:1:0")]
    assert _one(unfollow) == []


def test_like_notifies_the_author_unless_it_is_their_own():
    assert _one(events.LikeAdded(at_ms=1, tweet_id=7, user_id=1, author_id=2)) == [
        (2, "like", 1, 7, "like:1:7")
    ]
    assert _one(events.LikeAdded(at_ms=1, tweet_id=7, user_id=2, author_id=2)) == []


def test_retweet_notifies_the_original_author_about_the_original():
    event = events.RetweetCreated(
        at_ms=1, tweet_id=99, user_id=1, retweet_of=7, original_author_id=2
    )
    assert _one(event) == [(2, "retweet", 1, 7, "retweet:1:7")]
