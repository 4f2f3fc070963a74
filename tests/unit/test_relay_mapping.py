from chirp.stack import events
from chirp.stack.relay.mapping import carrier_of, to_event
from chirp.stack.schema import tables
from chirp.stack.tweets.model import SEEDED, Tweet, trace_item

NOW = 1_800_000_000_000


def _record(change, new=None, old=None):
    images = {}
    if new is not None:
        images["NewImage"] = new
    if old is not None:
        images["OldImage"] = old
    return {"eventName": change, "dynamodb": images}


def _tweet(**overrides):
    fields = {"tweet_id": 10, "user_id": 1, "text": "hi #a", "created_at_ms": 5, "hashtags": ["a"]}
    return Tweet(**{**fields, **overrides})


def test_insert_of_a_tweet_is_tweet_created():
    event = to_event(tables.TWEETS, _record("INSERT", new=_tweet().to_item()), NOW)
    assert isinstance(event, events.TweetCreated)
    assert (event.tweet_id, event.user_id, event.hashtags, event.at_ms) == (10, 1, ["a"], 5)


def test_insert_of_a_retweet_is_retweet_created():
    item = _tweet(tweet_id=11, user_id=2, text="", retweet_of=10, original_author_id=1).to_item()
    event = to_event(tables.TWEETS, _record("INSERT", new=item), NOW)
    assert isinstance(event, events.RetweetCreated)
    assert (event.retweet_of, event.original_author_id) == (10, 1)


def test_seeded_inserts_are_not_relayed():
    item = {**_tweet().to_item(), SEEDED: {"BOOL": True}}
    assert to_event(tables.TWEETS, _record("INSERT", new=item), NOW) is None


def test_counter_updates_are_not_edits_but_text_changes_are():
    old = _tweet().to_item()
    liked = _tweet(like_count=1).to_item()
    assert to_event(tables.TWEETS, _record("MODIFY", new=liked, old=old), NOW) is None
    edited = _tweet(text="new #b", hashtags=["b"], edited_at_ms=7).to_item()
    event = to_event(tables.TWEETS, _record("MODIFY", new=edited, old=old), NOW)
    assert isinstance(event, events.TweetEdited)
    assert (event.old_hashtags, event.hashtags, event.at_ms) == (["a"], ["b"], 7)


def test_remove_is_tweet_deleted_at_now():
    event = to_event(tables.TWEETS, _record("REMOVE", old=_tweet().to_item()), NOW)
    assert isinstance(event, events.TweetDeleted)
    assert (event.tweet_id, event.at_ms, event.hashtags) == (10, NOW, ["a"])


def test_likes_are_relayed_and_retweet_markers_are_not():
    like = {
        "tweet_id": {"N": "10"},
        "actor": {"S": "like#7"},
        "author_id": {"N": "1"},
        "at": {"N": "9"},
    }
    event = to_event(tables.ENGAGEMENTS, _record("INSERT", new=like), NOW)
    assert isinstance(event, events.LikeAdded)
    assert (event.user_id, event.author_id, event.at_ms) == (7, 1, 9)
    marker = {**like, "actor": {"S": "retweet#7"}}
    assert to_event(tables.ENGAGEMENTS, _record("INSERT", new=marker), NOW) is None
    assert to_event(tables.ENGAGEMENTS, _record("REMOVE", old=like), NOW) is None


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_an_inserted_tweet_hands_on_the_trace_context_stored_with_it():
    item = {**_tweet().to_item(), **trace_item({"traceparent": TRACEPARENT})}
    assert carrier_of(tables.TWEETS, _record("INSERT", new=item)) == {"traceparent": TRACEPARENT}
    assert carrier_of(tables.TWEETS, _record("INSERT", new=_tweet().to_item())) == {}


def test_an_edit_or_delete_does_not_reuse_the_creation_trace():
    item = {**_tweet().to_item(), **trace_item({"traceparent": TRACEPARENT})}
    assert carrier_of(tables.TWEETS, _record("MODIFY", new=item, old=item)) == {}
    assert carrier_of(tables.TWEETS, _record("REMOVE", old=item)) == {}
