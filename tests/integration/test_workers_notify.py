"""The notify worker against real Redis and PostgreSQL, and GET /notifications."""

from __future__ import annotations

import time

import httpx
import pytest

from chirp.infra.provision.local import process, provider
from chirp.infra.provision.local.ports import free_port
from chirp.infra.provision.local.redis import RedisServer
from chirp.stack import clients, events, secrets
from chirp.stack.notify import inbox
from chirp.stack.notify.inbox import Notification, deliver
from chirp.stack.notify.worker import NotifyWorker
from tests.integration.workers_support import make_user, served

pytestmark = pytest.mark.integration


def _each_kind(res, actor, recipient):
    """A mention, a follow, a like and a retweet of `recipient` by `actor`, in time order."""
    now = int(time.time() * 1000)
    tweet_of_recipient = res.ids.next_id()
    return [
        events.TweetCreated(
            at_ms=now,
            tweet_id=res.ids.next_id(),
            user_id=actor.id,
            text=f"hi @{recipient.username.upper()}",
            mentions=[recipient.username, "nobody_by_this_name"],
        ),
        events.FollowChanged(
            at_ms=now + 1, user_id=actor.id, followee_id=recipient.id, following=True
        ),
        events.LikeAdded(
            at_ms=now + 2, tweet_id=tweet_of_recipient, user_id=actor.id, author_id=recipient.id
        ),
        events.RetweetCreated(
            at_ms=now + 3,
            tweet_id=res.ids.next_id(),
            user_id=actor.id,
            retweet_of=tweet_of_recipient,
            original_author_id=recipient.id,
        ),
    ]


def test_each_kind_reaches_the_inbox_once_however_often_it_is_delivered(res):
    actor, recipient = make_user(res), make_user(res)
    batch = _each_kind(res, actor, recipient)
    worker = NotifyWorker(res)
    worker.handle(batch)
    worker.handle(batch)  # redelivered whole
    worker.handle(batch[::-1])  # and again, out of order

    found = inbox.page(res.redis, recipient.id, None, 50)
    assert [n.kind for n in found] == ["retweet", "like", "follow", "mention"]
    assert {n.actor_id for n in found} == {actor.id}
    assert found[0].tweet_id == batch[3].retweet_of  # the original, not the retweet
    assert found[2].tweet_id is None
    assert found[3].tweet_id == batch[0].tweet_id
    assert inbox.page(res.redis, actor.id, None, 50) == []  # nobody hears of their own acts


def test_unfollow_and_self_actions_notify_nobody(res):
    user, other = make_user(res), make_user(res)
    NotifyWorker(res).handle(
        [
            events.FollowChanged(at_ms=1, user_id=other.id, followee_id=user.id, following=False),
            events.LikeAdded(at_ms=2, tweet_id=5, user_id=user.id, author_id=user.id),
        ]
    )
    assert inbox.page(res.redis, user.id, None, 50) == []


def test_the_route_pages_the_callers_inbox_newest_first(res, stack):
    actor, recipient = make_user(res), make_user(res)
    batch = _each_kind(res, actor, recipient)
    NotifyWorker(res).handle(batch)
    with served(stack.settings(), ["notifications"]) as url:
        assert httpx.get(f"{url}/api/v1/notifications").status_code == 401
        headers = {"Authorization": f"Bearer {recipient.token}"}
        first = httpx.get(f"{url}/api/v1/notifications", params={"limit": 3}, headers=headers)
        assert first.status_code == 200
        page = first.json()
        assert [i["kind"] for i in page["items"]] == ["retweet", "like", "follow"]
        item = page["items"][0]
        assert set(item) == {"id", "kind", "actor_id", "tweet_id", "created_at"}
        assert item["actor_id"] == str(actor.id)
        assert item["tweet_id"] == str(batch[3].retweet_of)
        assert page["next_cursor"]

        rest = httpx.get(
            f"{url}/api/v1/notifications",
            params={"limit": 3, "cursor": page["next_cursor"]},
            headers=headers,
        ).json()
        assert [i["kind"] for i in rest["items"]] == ["mention"]
        assert rest["next_cursor"] is None

        forged = httpx.get(f"{url}/api/v1/notifications", params={"cursor": "e30"}, headers=headers)
        assert forged.status_code == 422  # outside the cursor's documented pattern


def test_inboxes_survive_memory_pressure_that_evicts_caches(stack, tmp_path):
    """A Redis of this stack's config, small enough to evict: caches (keys with a TTL) go,
    notifications (the inbox, its only copy) stay."""
    base = stack.settings()
    settings = base.model_copy(
        update={
            "run_dir": tmp_path,
            "redis_port": free_port(),
            "redis_sentinel": False,
            "redis_maxmemory_mb": 4,
        }
    )
    secrets.ensure(settings)
    server = RedisServer(settings)
    provider.start_component(server, lambda *_: None)
    try:
        client = clients.redis_client(settings)
        told = [Notification(7, "follow", actor, None, 1_000 + actor) for actor in range(1, 51)]
        assert deliver(client, told) == 50
        filler = "x" * 10_000
        for chunk in range(40):  # about 40 MB of cached tweets through a 4 MB Redis
            with client.pipeline(transaction=False) as pipe:
                for n in range(100):
                    pipe.set(f"tweet:{chunk}:{n}", filler, ex=600)
                pipe.execute()
        assert int(client.info("stats")["evicted_keys"]) > 0
        assert client.zcard("inbox:7") == 50
        client.close()
    finally:
        process.stop(server.pid_file, grace_s=5)
