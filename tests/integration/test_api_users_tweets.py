"""The users and tweets endpoints through HAProxy: shapes, auth rules, error rules."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chirp.stack.gateway import ratelimit
from chirp.stack.gateway.errors import ApiError
from chirp.stack.schema import tables
from chirp.stack.users import activity
from tests.api import Api, eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(stack) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


def test_sign_up_returns_token_and_taken_username_is_409(api):
    user = api.sign_up("ada")
    assert user.token and user.user_id.isdigit()
    again = api.http.post("/api/v1/users", json={"username": user.username, "display_name": "x"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_profile_counts_follows(api):
    ada, bob = api.sign_up("ada"), api.sign_up("bob")
    api.follow(bob, ada)
    api.follow(bob, ada)  # following twice changes nothing
    profile = api.http.get(f"/api/v1/users/{ada.user_id}").json()
    assert (profile["follower_count"], profile["following_count"]) == (1, 0)
    followers = api.http.get(f"/api/v1/users/{ada.user_id}/followers").json()
    assert [u["user_id"] for u in followers["items"]] == [bob.user_id]
    assert followers["next_cursor"] is None


def test_follow_needs_auth_and_self(api):
    ada, bob, eve = api.sign_up("ada"), api.sign_up("bob"), api.sign_up("eve")
    path = f"/api/v1/users/{bob.user_id}/following/{ada.user_id}"
    assert api.http.put(path).status_code == 401
    assert api.http.put(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.http.put(path, headers=eve.auth).status_code == 403
    missing = api.http.put(f"/api/v1/users/{bob.user_id}/following/1", headers=bob.auth)
    assert missing.status_code == 404


def test_followers_paginate(api):
    star = api.sign_up("star")
    fans = [api.sign_up("fan") for _ in range(5)]
    for fan in fans:
        api.follow(fan, star)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.http.get(f"/api/v1/users/{star.user_id}/followers", params=params).json()
        seen += [u["user_id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(f.user_id for f in fans)


def test_post_read_edit_delete(api):
    ada, bob = api.sign_up("ada"), api.sign_up("bob")
    tweet = api.post(ada, "Hello #Chirp and @Bob")
    assert tweet["hashtags"] == ["chirp"]
    assert tweet["mentions"] == ["bob"]
    path = f"/api/v1/tweets/{tweet['tweet_id']}"
    assert api.http.get(path).json()["text"] == "Hello #Chirp and @Bob"
    assert api.http.patch(path, json={"text": "edited"}, headers=bob.auth).status_code == 403
    edited = api.http.patch(path, json={"text": "edited #new"}, headers=ada.auth)
    assert edited.status_code == 200
    assert edited.json()["edited_at"] is not None
    assert api.http.get(path).json()["hashtags"] == ["new"]
    assert api.http.delete(path, headers=bob.auth).status_code == 403
    assert api.http.delete(path, headers=ada.auth).status_code == 204
    assert api.http.get(path).status_code == 404


def test_text_rules(api):
    ada = api.sign_up("ada")
    post = lambda text: api.http.post("/api/v1/tweets", json={"text": text}, headers=ada.auth)  # noqa: E731
    assert post("").status_code == 422
    assert post("   ").status_code == 422
    assert post("x" * 281).status_code == 422
    assert post("x" * 280).status_code == 201
    # "é" as e + combining accent is two code points as sent, stored as one after NFC.
    composed = post("e\u0301" * 140)
    assert composed.status_code == 201
    assert composed.json()["text"] == "\u00e9" * 140
    assert post("e\u0301" * 141).status_code == 422  # 282 characters as sent
    body = api.http.post(
        "/api/v1/tweets",
        content=b"x" * 20_000,
        headers={**ada.auth, "content-type": "application/json"},
    )
    assert body.status_code == 413
    assert body.json()["error"]["code"] == "too_large"


def test_idempotency_key_posts_once_and_expires_a_day_later(api, res):
    ada = api.sign_up("ada")
    headers = {**ada.auth, "Idempotency-Key": "retry-1"}
    first = api.http.post("/api/v1/tweets", json={"text": "once"}, headers=headers).json()
    second = api.http.post("/api/v1/tweets", json={"text": "once"}, headers=headers).json()
    assert first["tweet_id"] == second["tweet_id"]
    timeline = api.http.get(f"/api/v1/users/{ada.user_id}/tweets").json()["items"]
    assert [t["tweet_id"] for t in timeline] == [first["tweet_id"]]
    (key,) = res.dynamo.scan(
        TableName=tables.IDEMPOTENCY,
        FilterExpression="tweet_id = :t",
        ExpressionAttributeValues={":t": {"N": str(first["tweet_id"])}},
    )["Items"]
    expires_at = int(key[tables.IDEMPOTENCY_EXPIRES_AT]["N"])
    created_s = int(datetime.fromisoformat(first["created_at"]).timestamp())
    assert expires_at - created_s == pytest.approx(tables.IDEMPOTENCY_KEEP_S, abs=1)


def test_likes_and_retweets_count_once(api):
    ada, bob = api.sign_up("ada"), api.sign_up("bob")
    tweet = api.post(ada, "like me")
    path = f"/api/v1/tweets/{tweet['tweet_id']}"
    for _ in range(2):
        liked = api.http.post(f"{path}/like", headers=bob.auth)
        assert liked.status_code == 200
    assert liked.json()["like_count"] == 1
    for _ in range(2):
        retweeted = api.http.post(f"{path}/retweet", headers=bob.auth)
    assert retweeted.json()["retweet_count"] == 1
    bobs = api.http.get(f"/api/v1/users/{bob.user_id}/tweets").json()["items"]
    assert [t["retweet_of"]["tweet_id"] for t in bobs] == [tweet["tweet_id"]]
    undone = api.http.delete(f"{path}/retweet", headers=bob.auth).json()
    assert undone["retweet_count"] == 0
    assert api.http.get(f"/api/v1/users/{bob.user_id}/tweets").json()["items"] == []


def test_user_timeline_is_newest_first_and_paginates(api):
    ada = api.sign_up("ada")
    posted = [api.post(ada, f"tweet {i}")["tweet_id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.http.get(f"/api/v1/users/{ada.user_id}/tweets", params=params).json()
        seen += [t["tweet_id"] for t in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == list(reversed(posted))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/tweets/abc", None),
        ("GET", "/api/v1/tweets/99999999999999999999", None),
        ("GET", "/api/v1/users/-1", None),
        ("GET", "/api/v1/users/1/followers?cursor=%%%", None),
        ("GET", "/api/v1/users/1/followers?limit=0", None),
        ("POST", "/api/v1/users", {"username": "bad name!", "display_name": "x"}),
        ("POST", "/api/v1/users", {"username": "ok"}),
        ("POST", "/api/v1/users", "not json"),
    ],
)
def test_bad_input_is_a_json_4xx(api, method, path, body):
    kwargs = {"json": body} if isinstance(body, dict) else {"content": body or b""}
    answer = api.http.request(method, path, **kwargs)
    assert 400 <= answer.status_code < 500, answer.text
    assert set(answer.json()["error"]) == {"code", "message"}


def test_unknown_resources_are_404(api):
    assert api.http.get("/api/v1/users/1").status_code == 404
    assert api.http.get("/api/v1/tweets/1").status_code == 404
    assert api.http.get("/api/v1/users/1/tweets").status_code == 404


def test_a_request_marks_its_caller_active_once_and_counts_against_the_limit(api, res):
    ada = api.sign_up("ada")
    with res.pg.connection() as conn:
        conn.execute(
            "UPDATE users SET last_active_at = now() - interval '30 days' WHERE id = %s",
            (ada.user_id,),
        )

    def last_active() -> datetime:
        with res.pg.connection() as conn:
            (at,) = conn.execute(
                "SELECT last_active_at FROM users WHERE id = %s", (ada.user_id,)
            ).fetchone()
        return at

    def read_own_feed() -> None:
        answer = api.http.get("/api/v1/feed", params={"userId": ada.user_id}, headers=ada.auth)
        assert answer.status_code == 200

    def recorded() -> datetime | None:
        # A request whose write missed the primary drops the mark, so the next one retries.
        read_own_feed()
        at = last_active()
        return at if datetime.now(UTC) - at < timedelta(minutes=5) else None

    first = eventually(recorded, what="last_active_at recorded by a request")
    counters = res.redis.keys(f"ratelimit:requests:{ada.user_id}:*")  # one per hour window
    assert sum(int(res.redis.get(counter)) for counter in counters) >= 1
    key, expiry_s = activity.active_mark(ada.user_id)
    assert 0 < res.redis.ttl(key) <= expiry_s
    read_own_feed()
    assert last_active() == first, "the mark was still there, so it was not written again"


def test_past_the_limit_the_answer_is_429_with_retry_after(res):
    user_id = int(time.time_ns())
    mark = (f"test-mark:{user_id}", 60)
    assert ratelimit.check(res.redis, "probe", user_id, limit=10, mark=mark) is True
    assert ratelimit.check(res.redis, "probe", user_id, limit=10, mark=mark) is False
    with pytest.raises(ApiError) as refused:
        ratelimit.check(res.redis, "refused", user_id, limit=0)
    assert refused.value.status == 429
    assert 1 <= int(refused.value.headers["Retry-After"]) <= ratelimit.WINDOW_S


@pytest.mark.parametrize("name", ["a\u0000b", "bell\u0007", "\u200b\u200d", "   "])
def test_a_display_name_with_control_or_no_visible_characters_is_422(api, name):
    answer = api.http.post(
        "/api/v1/users", json={"username": "dn" + str(time.time_ns())[-12:], "display_name": name}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid"


def test_a_tweet_of_only_invisible_characters_is_422(api):
    ada = api.sign_up("ada")
    post = lambda text: api.http.post("/api/v1/tweets", json={"text": text}, headers=ada.auth)  # noqa: E731
    assert post("\u200b\u200c\u200d\u2060\ufeff").status_code == 422
    assert post("\u00ad\u180e \u3164").status_code == 422
    assert post("\u200bvisible").status_code == 201


def test_a_chunked_body_over_the_limit_is_413(api):
    ada = api.sign_up("ada")

    def chunks():
        yield b'{"text": "'
        for _ in range(20):
            yield b"x" * 1_000
        yield b'"}'

    answer = api.http.post(
        "/api/v1/tweets", content=chunks(), headers={**ada.auth, "content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "too_large"


def test_hashtags_and_mentions_past_the_cap_are_dropped(api, stack):
    settings = stack.settings()
    ada = api.sign_up("ada")
    tags = [f"tag{i}" for i in range(settings.max_hashtags + 5)]
    names = [f"name{i}" for i in range(settings.max_mentions + 5)]
    text = " ".join([*(f"#{t}" for t in tags), *(f"@{n}" for n in names)])[:280]
    tweet = api.post(ada, text)
    assert tweet["hashtags"] == tags[: settings.max_hashtags]
    assert tweet["mentions"] == names[: settings.max_mentions]


@pytest.mark.parametrize(
    "cursor",
    [
        "1" + "0" * 125,
        "eyJiZWZvcmUiOiAxMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwfQ",
        "-5",
        "abc",
    ],
)
def test_a_cursor_outside_the_documented_format_is_a_422(api, cursor):
    ada = api.sign_up("ada")
    answer = api.http.get(f"/api/v1/users/{ada.user_id}/tweets", params={"cursor": cursor})
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize("cursor", ["0", "9" * 19, "9223372036854775807"])
def test_every_cursor_of_the_documented_format_is_answered(api, cursor):
    ada = api.sign_up("ada")
    api.post(ada, "one")
    answer = api.http.get(f"/api/v1/users/{ada.user_id}/tweets", params={"cursor": cursor})
    assert answer.status_code == 200, answer.text


def test_a_retweet_cannot_be_edited(api):
    ada, bob = api.sign_up("ada"), api.sign_up("bob")
    tweet = api.post(ada, "original")
    api.http.post(f"/api/v1/tweets/{tweet['tweet_id']}/retweet", headers=bob.auth)
    (retweet,) = api.http.get(f"/api/v1/users/{bob.user_id}/tweets").json()["items"]
    answer = api.http.patch(
        f"/api/v1/tweets/{retweet['tweet_id']}",
        json={"text": f"@{ada.username} hi"},
        headers=bob.auth,
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    assert api.http.get(f"/api/v1/tweets/{retweet['tweet_id']}").json()["mentions"] == []
