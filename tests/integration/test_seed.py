"""`chirp seed`: the bulk path leaves the stores as the write path would."""

from __future__ import annotations

import json

import pytest

from chirp.stack.feed.entries import Entry
from chirp.stack.feed.fanout import fan_out_entries
from chirp.stack.feed.timeline import Timelines
from chirp.stack.resources import Resources
from chirp.stack.schema.tables import NODE_LEASES, TWEETS
from tests.api import Api

pytestmark = pytest.mark.integration

THRESHOLDS = {"push_threshold": 8, "celebrity_threshold": 30}


@pytest.fixture(scope="module")
def seeded(stack):
    env = {f"CHIRP_{k.upper()}": str(v) for k, v in THRESHOLDS.items()}
    stack.env.update(env)
    try:
        result = stack.chirp(
            "seed",
            "--users",
            "80",
            "--avg-follows",
            "6",
            "--celebrities",
            "1",
            "--tweets",
            "400",
            "--reset",
            "--json",
        )
    finally:
        for key in env:
            stack.env.pop(key)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_report_counts_what_was_asked(seeded):
    assert (seeded["users"], seeded["follows"], seeded["tweets"]) == (80, 480, 400)
    assert seeded["celebrities_pulled"] == 1
    assert set(seeded["tiers"]) <= {"push_all", "push_active", "pull"}


def test_bulk_feeds_equal_what_the_fan_out_worker_writes(stack, seeded):
    settings = stack.settings().model_copy(update=THRESHOLDS)
    res = Resources.open(settings)
    try:
        timelines = Timelines.of(res)
        users = _population(stack)["users"]
        user_ids = [int(u["user_id"]) for u in users]
        bulk = {u: _tweets_only(timelines.members(u)) for u in user_ids}
        celebs = {u: timelines.celeb_members(u) for u in user_ids}
        assert sum(len(f) for f in bulk.values()) > 0
        timelines.drop(user_ids)
        res.redis.delete(*[f"celeb:{u}" for u in user_ids])
        entries = [Entry(int(t), int(a)) for t, a in _seeded_tweets(res, user_ids)]
        fan_out_entries(res, entries)
        again = {u: _tweets_only(timelines.members(u)) for u in user_ids}
        assert again == bulk
        assert {u: timelines.celeb_members(u) for u in user_ids} == celebs
    finally:
        res.close()


def test_population_tokens_work_through_the_api(stack, seeded):
    user = _population(stack)["users"][0]
    api = Api(f"http://127.0.0.1:{stack.port('lb_port')}")
    answer = api.http.get(
        "/api/v1/feed",
        params={"userId": user["user_id"]},
        headers={"Authorization": f"Bearer {user['token']}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"]


def _population(stack) -> dict:
    return json.loads((stack.run_dir / "seed" / "population.json").read_text())


def _tweets_only(entries: list[Entry]) -> set[tuple[int, int]]:
    return {(e.tweet_id, e.author_id) for e in entries}


def _seeded_tweets(res: Resources, user_ids: list[int]) -> list[tuple[int, int]]:
    from chirp.stack.tweets import store

    found = []
    for user_id in user_ids:
        found += [
            (t.tweet_id, t.user_id) for t in store.user_tweets(res.dynamo, user_id, None, 1000)
        ]
    return found


def test_a_reset_keeps_the_running_processes_node_leases(stack, seeded):
    res = Resources.open(stack.settings())
    try:
        made = {
            name: res.dynamo.describe_table(TableName=name)["Table"]["CreationDateTime"]
            for name in (NODE_LEASES, TWEETS)
        }
    finally:
        res.close()
    assert made[NODE_LEASES] < made[TWEETS], "the reset made the data tables again, not the leases"
