import pytest

from chirp.stack import events
from chirp.stack.gateway import cursor
from chirp.stack.gateway.errors import ApiError
from chirp.stack.ids import id_at_ms, id_time_ms
from chirp.stack.search.indexer import DELETED_VERSION, actions_for
from chirp.stack.search.service import _search_after, parse_query

TWEET_MS = 1_717_245_000_000
TWEET_ID = id_at_ms(TWEET_MS) + 3


def test_hashtags_and_words_are_split():
    parsed = parse_query("  #WorldCup, final  #goal! tonight #goal")
    assert parsed.hashtags == ["worldcup", "goal"]
    assert parsed.words == "final tonight"


def test_a_lone_hash_is_a_word():
    assert parse_query("# x").words == "# x"


@pytest.mark.parametrize("q", ["", "   ", "x" * 281])
def test_blank_or_long_queries_are_422(q):
    with pytest.raises(ApiError) as caught:
        parse_query(q)
    assert caught.value.status == 422


def test_a_create_is_indexed_whole_at_its_creation_version():
    event = events.TweetCreated(
        at_ms=TWEET_MS,
        tweet_id=TWEET_ID,
        user_id=9,
        text="hi #x @y",
        hashtags=["x"],
        mentions=["y"],
    )
    (action,) = actions_for(event, {9: "ada"})
    assert action["_id"] == str(TWEET_ID)
    assert action["version"] == TWEET_MS
    assert action["version_type"] == "external_gte"
    assert action["_source"]["username"] == "ada"
    assert action["_source"]["created_at"] == id_time_ms(TWEET_ID)
    assert action["_source"]["deleted"] is False


def test_an_edit_is_a_whole_document_at_its_edit_version():
    event = events.TweetEdited(at_ms=TWEET_MS + 5_000, tweet_id=TWEET_ID, user_id=9, text="new")
    (action,) = actions_for(event, {})
    assert action["version"] == TWEET_MS + 5_000
    assert action["_source"]["text"] == "new"
    assert action["_source"]["created_at"] == id_time_ms(TWEET_ID)


def test_a_delete_is_a_tombstone_no_time_can_outrank():
    event = events.TweetDeleted(at_ms=TWEET_MS + 9_000, tweet_id=TWEET_ID, user_id=9)
    (action,) = actions_for(event, {})
    assert action["version"] == DELETED_VERSION > 10**15
    assert action["_source"]["deleted"] is True
    assert "text" not in action["_source"]


def test_a_deleted_retweet_is_buried_too():
    event = events.TweetDeleted(at_ms=TWEET_MS, tweet_id=TWEET_ID, user_id=9, retweet_of=5)
    (action,) = actions_for(event, {})
    assert action["version"] == DELETED_VERSION
    assert action["_source"]["deleted"] is True


def test_a_new_user_is_indexed():
    event = events.UserCreated(at_ms=TWEET_MS, user_id=4, username="ada", display_name="Ada L")
    (action,) = actions_for(event, {})
    assert action["_index"] == "users"
    assert action["_source"]["display_name"] == "Ada L"


def test_likes_are_not_indexed():
    assert actions_for(events.LikeAdded(at_ms=1, tweet_id=2, user_id=3, author_id=4), {}) == []


@pytest.mark.parametrize("forged", ["", "abc", "1~", "~1", "-1~2", "1e5~2", "1.~2", "1~2~3"])
def test_cursors_outside_the_pattern_are_400(forged):
    if not forged:
        assert _search_after(forged, whole=True) is None
        return
    with pytest.raises(ApiError) as caught:
        _search_after(forged, whole=False)
    assert caught.value.status == 400


def test_an_issued_cursor_round_trips():
    issued = cursor.encode_search(1717245000000, "123")
    assert issued == "1717245000000~123"
    assert _search_after(issued, whole=True) == [1717245000000, "123"]
    scored = cursor.encode_search(3.4567891, "9")
    assert _search_after(scored, whole=False) == [3.4567891, "9"]
    tiny = cursor.encode_search(1e-07, "9")
    assert tiny == "0.0000001~9"
    assert _search_after(tiny, whole=False) == [1e-07, "9"]


def test_a_time_past_the_long_range_reads_as_the_largest():
    assert _search_after("99999999999999999999~5", whole=True) == [2**63 - 1, "5"]
