"""What each tweet event counts for in trending (pure: no Redis)."""

from chirp.stack import events
from chirp.stack.ids import id_at_ms
from chirp.stack.trending import score
from chirp.stack.trending.store import DELETED_VERSION
from chirp.stack.trending.worker import contribution_of, scopes_of


def _created(text, hashtags, event_lang="und", at_ms=1_717_245_000_000):
    return events.TweetCreated(
        at_ms=at_ms,
        tweet_id=id_at_ms(at_ms) + 7,
        user_id=1,
        text=text,
        hashtags=hashtags,
        lang=event_lang,
    )


def test_scopes_are_global_and_the_language():
    assert scopes_of(_created("hello #chirp", ["chirp"])) == ["global"]
    assert scopes_of(_created("the game is on #chirp", ["chirp"])) == ["global", "lang:en"]
    assert scopes_of(_created("hello #chirp", ["chirp"], event_lang="pt-BR")) == [
        "global",
        "lang:pt",
    ]


def test_a_create_counts_its_hashtags_in_every_scope_in_its_minute():
    event = _created("the game is on #a #b", ["a", "b"])
    found = contribution_of(event)
    assert found is not None
    assert found.minute == score.minute_of(event.at_ms)
    assert found.version == event.at_ms
    assert found.pairs == {("global", "a"), ("global", "b"), ("lang:en", "a"), ("lang:en", "b")}


def test_a_delete_counts_nothing_at_the_highest_version():
    event = events.TweetDeleted(at_ms=5, tweet_id=id_at_ms(1_717_245_000_000), user_id=1)
    found = contribution_of(event)
    assert found is not None
    assert found.pairs == frozenset()
    assert found.version == DELETED_VERSION
    assert found.minute == score.minute_of(1_717_245_000_000)


def test_other_events_count_nothing():
    like = events.LikeAdded(at_ms=1, tweet_id=2, user_id=3, author_id=4)
    assert contribution_of(like) is None
