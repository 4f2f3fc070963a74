"""`chirp trace` on a fresh tweet: its journey from the gateway to the feeds and the index,
every hop in causal order, read back from the span files of the test stack.

The stack samples 1 % of journeys by default; these tweets are posted with
`X-Chirp-Trace: 1`, which has their whole journey traced."""

from __future__ import annotations

import json

import pytest

from chirp.stack.schema.topics import CONSUMER_GROUPS, SUBSCRIPTIONS, TWEET_CREATED
from chirp.stack.tracing import FORCE_HEADER
from tests.api import Api, User, eventually
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration

# Generous: a busy CI machine may take a while to relay and consume a fresh tweet.
WAIT_S = "60"


@pytest.fixture(scope="module")
def api(stack: StackEnv) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


def _post_traced(api: Api, author: User, text: str) -> dict:
    answer = api.http.post(
        "/api/v1/tweets", json={"text": text}, headers={**author.auth, FORCE_HEADER: "1"}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _trace(stack: StackEnv, tweet_id: str, *extra: str) -> dict:
    result = stack.chirp("trace", tweet_id, "--json", "--wait", WAIT_S, *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _with_every_group(journey: dict) -> dict | None:
    consumers = {h["service"] for h in journey["hops"] if h["hop"] == "consume"}
    creating = {g for g in CONSUMER_GROUPS if TWEET_CREATED in SUBSCRIPTIONS[g]}
    return journey if consumers >= creating else None


def _first(hops: list[dict], hop: str) -> dict:
    found = [h for h in hops if h["hop"] == hop]
    assert found, f"no {hop} hop in {[h['hop'] for h in hops]}"
    return found[0]


def test_a_fresh_tweet_shows_every_hop_in_causal_order(stack, api):
    author, follower = api.sign_up("tr"), api.sign_up("tf")
    api.follow(follower, author)
    tweet = _post_traced(api, author, "where does this one go? #tracing")

    # `--wait` returns once fan-out and indexing reported; the other groups' spans may
    # reach their files a moment later, so ask again until every group's is there.
    journey = eventually(
        lambda: _with_every_group(_trace(stack, tweet["tweet_id"])),
        timeout_s=60,
        what="a span from every consumer group",
    )

    assert journey["tweet_id"] == tweet["tweet_id"]
    assert journey["complete"] is True
    hops = journey["hops"]
    gateway, store = _first(hops, "gateway"), _first(hops, "store")
    publish, index = _first(hops, "publish"), _first(hops, "index")
    feeds = [h for h in hops if h["hop"] == "feed"]
    assert feeds, hops
    assert gateway["depth"] == 0 and gateway["start_ms"] == 0
    assert gateway["service"].startswith("gateway-")
    assert gateway["attributes"]["http.route"] == "/api/v1/tweets"
    # Causal order: every hop starts no earlier than its parent; publish after the store,
    # fan-out and indexing after the publish; the list puts parents before children.
    seen = {}
    for hop in hops:
        if hop["parent_id"] is not None:
            parent = seen[hop["parent_id"]]
            assert hop["start_ms"] >= parent["start_ms"], (hop, parent)
        seen[hop["span_id"]] = hop
    assert store["parent_id"] == gateway["span_id"]
    assert publish["parent_id"] == store["span_id"]
    assert publish["start_ms"] >= store["start_ms"]
    assert publish["service"] == "relay"
    for later in [*feeds, index]:
        assert later["start_ms"] >= publish["start_ms"], later
    assert {h["service"] for h in feeds} == {"fanout"} and index["service"] == "search-indexer"
    # The author's own feed and the one follower's.
    assert journey["followers_reached"] == 1
    assert journey["feeds_done_ms"] == max(h["start_ms"] + h["duration_ms"] for h in feeds)


def test_the_table_names_the_hops_and_when_the_last_feed_had_it(stack, api):
    author = api.sign_up("tt")
    tweet = _post_traced(api, author, "a table of hops")

    result = stack.chirp("trace", tweet["tweet_id"], "--wait", WAIT_S)

    assert result.returncode == 0, result.stderr
    assert "the last follower's feed had it after" in result.stdout
    for hop in ("gateway", "store", "publish", "consume", "feed", "index"):
        assert hop in result.stdout


def test_an_unknown_tweet_is_one_line_saying_what_to_do(stack):
    result = stack.chirp("trace", "12345", "--wait", "0")

    assert result.returncode == 1
    assert "no trace of tweet 12345" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
