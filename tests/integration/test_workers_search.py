"""The search-indexer against real OpenSearch, and the search use cases over it."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from chirp.infra.provision.local.ports import free_port
from chirp.stack import events
from chirp.stack.gateway.errors import ApiError
from chirp.stack.relay.mapping import created_event
from chirp.stack.resources import Resources
from chirp.stack.schema.indices import TWEETS_INDEX, USERS_INDEX
from chirp.stack.search import service
from chirp.stack.search.indexer import DELETED_VERSION, SearchIndexer
from chirp.stack.tweets import store as tweets_store
from tests.integration.workers_support import make_user, served, stored_tweet

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def indexer(res):
    return SearchIndexer(res)


def _refresh(res):
    res.search.indices.refresh(index=f"{TWEETS_INDEX},{USERS_INDEX}")


def _doc(res, tweet_id):
    return res.search.get(index=TWEETS_INDEX, id=str(tweet_id), ignore=404)


def _found_ids(res, q, limit=20):
    return [t.tweet_id for t in service.search_tweets(res, q, None, limit).items]


def test_an_indexed_tweet_is_found_by_word_and_hashtag(res, indexer):
    author = make_user(res)
    word, tag = f"w{uuid.uuid4().hex[:12]}", f"t{uuid.uuid4().hex[:12]}"
    tweet = stored_tweet(res, author.id, f"hello {word} #{tag}", [tag])
    indexer.handle([created_event(tweet)])
    indexer.handle([created_event(tweet)])  # redelivered: still one document
    _refresh(res)

    by_word = service.search_tweets(res, word, None, 20).items
    assert [t.tweet_id for t in by_word] == [str(tweet.tweet_id)]
    assert by_word[0].author is not None and by_word[0].author.username == author.username
    assert _found_ids(res, f"#{tag.upper()}") == [str(tweet.tweet_id)]
    assert _found_ids(res, f"#{tag} {word}") == [str(tweet.tweet_id)]
    assert _found_ids(res, f"#{tag} nosuchword{uuid.uuid4().hex}") == []
    assert _doc(res, tweet.tweet_id)["_source"]["username"] == author.username


def test_an_edit_replaces_the_text_and_an_older_create_cannot_undo_it(res, indexer):
    author = make_user(res)
    old, new = f"old{uuid.uuid4().hex[:12]}", f"new{uuid.uuid4().hex[:12]}"
    tweet = stored_tweet(res, author.id, f"say {old}", [])
    edited = tweets_store.edit_tweet(
        res.dynamo, tweet, f"say {new}", [], [], tweet.created_at_ms + 1_000
    )
    assert edited is not None
    edit = events.TweetEdited(
        at_ms=tweet.created_at_ms + 1_000,
        tweet_id=tweet.tweet_id,
        user_id=author.id,
        text=edited.text,
    )
    indexer.handle([created_event(tweet), edit])
    indexer.handle([created_event(tweet)])  # the create replayed after the edit
    _refresh(res)

    assert _found_ids(res, new) == [str(tweet.tweet_id)]
    assert _found_ids(res, old) == []
    assert _doc(res, tweet.tweet_id)["_source"]["text"] == f"say {new}"


def test_an_edit_before_its_create_wins_over_the_late_create(res, indexer):
    author = make_user(res)
    old, new = f"old{uuid.uuid4().hex[:12]}", f"new{uuid.uuid4().hex[:12]}"
    tweet = stored_tweet(res, author.id, f"say {old}", [])
    edit = events.TweetEdited(
        at_ms=tweet.created_at_ms + 1, tweet_id=tweet.tweet_id, user_id=author.id, text=new
    )
    indexer.handle([edit])
    indexer.handle([created_event(tweet)])
    _refresh(res)
    assert _doc(res, tweet.tweet_id)["_source"]["text"] == new


def test_a_delete_removes_the_tweet_and_a_replayed_create_does_not_resurrect_it(res, indexer):
    author = make_user(res)
    word = f"gone{uuid.uuid4().hex[:12]}"
    tweet = stored_tweet(res, author.id, f"soon {word}", [])
    indexer.handle([created_event(tweet)])
    _refresh(res)
    assert _found_ids(res, word) == [str(tweet.tweet_id)]

    tweets_store.delete_tweet(res.dynamo, tweet)
    deleted = events.TweetDeleted(
        at_ms=tweet.created_at_ms + 5, tweet_id=tweet.tweet_id, user_id=author.id
    )
    indexer.handle([deleted])
    indexer.handle([created_event(tweet), deleted, created_event(tweet)])  # replays, in any order
    _refresh(res)

    doc = _doc(res, tweet.tweet_id)
    assert doc["_version"] == DELETED_VERSION
    assert doc["_source"]["deleted"] is True
    assert "text" not in doc["_source"]
    hits = res.search.search(index=TWEETS_INDEX, body={"query": {"match": {"text": word}}})["hits"][
        "hits"
    ]
    assert hits == []
    assert _found_ids(res, word) == []


def test_pages_run_newest_first_and_end(res, indexer):
    author = make_user(res)
    tag = f"p{uuid.uuid4().hex[:12]}"
    tweets = [stored_tweet(res, author.id, f"n{i} #{tag}", [tag]) for i in range(3)]
    indexer.handle([created_event(t) for t in tweets])
    _refresh(res)

    first = service.search_tweets(res, f"#{tag}", None, 2)
    assert [t.tweet_id for t in first.items] == [str(t.tweet_id) for t in tweets[::-1][:2]]
    assert first.next_cursor is not None
    second = service.search_tweets(res, f"#{tag}", first.next_cursor, 2)
    assert [t.tweet_id for t in second.items] == [str(tweets[0].tweet_id)]
    assert second.next_cursor is None


def test_a_forged_cursor_is_a_400(res):
    with pytest.raises(ApiError) as caught:
        service.search_tweets(res, "x", "e30", 2)  # '{}'
    assert caught.value.status == 400


def test_users_are_found_by_username_and_display_name(res, indexer):
    marker = f"zq{uuid.uuid4().hex[:10]}"
    user = make_user(res, prefix="ada", display_name=f"Ada {marker}")
    event = events.UserCreated(
        at_ms=int(time.time() * 1000),
        user_id=user.id,
        username=user.username,
        display_name=f"Ada {marker}",
    )
    indexer.handle([event, event])
    _refresh(res)

    by_name = service.search_users(res, user.username, None, 5).items
    assert by_name[0].user_id == str(user.id)
    by_display = service.search_users(res, marker, None, 5).items
    assert [u.user_id for u in by_display] == [str(user.id)]


def test_search_answers_503_when_opensearch_is_unreachable(stack):
    dead = stack.settings().model_copy(update={"opensearch_port": free_port()})
    res = Resources.open(dead)
    try:
        with pytest.raises(ApiError) as caught:
            service.search_tweets(res, "anything", None, 10)
        assert caught.value.status == 503
        assert caught.value.headers["Retry-After"]
        with pytest.raises(ApiError) as users:
            service.search_users(res, "anyone", None, 10)
        assert users.value.status == 503
    finally:
        res.close()


def test_the_route_gives_json_errors_for_bad_queries_and_a_dead_opensearch(stack):
    with served(stack.settings(), ["search"]) as url:
        for q in ("", "   ", "x" * 281):
            answer = httpx.get(f"{url}/api/v1/search", params={"q": q})
            assert answer.status_code == 422
            assert answer.json()["error"]["code"] == "invalid"
        assert httpx.get(f"{url}/api/v1/search").status_code == 422
        assert httpx.get(f"{url}/api/v1/search", params={"q": "x", "type": "x"}).status_code == 422
        ok = httpx.get(f"{url}/api/v1/search", params={"q": "x", "type": "users"})
        assert ok.status_code == 200
        assert set(ok.json()) == {"items", "next_cursor"}

    dead = stack.settings().model_copy(update={"opensearch_port": free_port()})
    with served(dead, ["search"]) as url:
        answer = httpx.get(f"{url}/api/v1/search", params={"q": "hello"})
        assert answer.status_code == 503
        assert answer.headers["Retry-After"]
        assert answer.json()["error"]["code"] == "unavailable"


def test_a_deleted_retweet_leaves_no_document_behind(res, indexer):
    """A retweet is never indexed as made, but an edit event could index it (before edits of
    retweets were refused); its delete must bury whatever is there."""
    author, retweeter = make_user(res), make_user(res)
    word = f"rt{uuid.uuid4().hex[:12]}"
    original = stored_tweet(res, author.id, "original", [])
    retweet_id = res.ids.next_id()
    planted = events.TweetEdited(
        at_ms=original.created_at_ms + 1, tweet_id=retweet_id, user_id=retweeter.id, text=word
    )
    indexer.handle([planted])
    deleted = events.TweetDeleted(
        at_ms=original.created_at_ms + 2,
        tweet_id=retweet_id,
        user_id=retweeter.id,
        retweet_of=original.tweet_id,
    )
    indexer.handle([deleted])
    _refresh(res)
    assert _doc(res, retweet_id)["_source"]["deleted"] is True
    assert _found_ids(res, word) == []
