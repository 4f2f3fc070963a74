"""Node id leases on the session stack's DynamoDB, and gateways that mint under them.

The store's rules are exercised with chosen clocks (every `now` is an explicit value);
the gateways are real `python -m stack.run gateway` processes started without
CHIRP_NODE_ID, as the AWS tasks run.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from chirp.core.errors import NoNodeLease
from chirp.stack import clients
from chirp.stack.ids import id_node
from chirp.stack.node_lease import LeasedIds, NodeLeaseStore
from tests.api import eventually
from tests.gateways import gateways

pytestmark = pytest.mark.integration

TTL_S = 30.0
_ranges = itertools.count(700, 2)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dynamo(stack):
    return clients.dynamodb_client(stack.settings())


@pytest.fixture
def pair(dynamo) -> NodeLeaseStore:
    """A store over two ids no other test leases."""
    first = next(_ranges)
    return NodeLeaseStore(dynamo, first, first + 1)


@pytest.fixture
def single(dynamo) -> NodeLeaseStore:
    first = next(_ranges)
    return NodeLeaseStore(dynamo, first, first)


def test_a_renewed_lease_is_not_reused_and_a_lapsed_one_is(pair):
    start = time.time()
    first = pair.claim("holder-a", now=start, ttl_s=TTL_S)
    assert first is not None
    renewed = pair.renew(first, now=start + 20, ttl_s=TTL_S)
    assert renewed is not None and renewed.expires_at == pytest.approx(start + 50)

    # Past the first expiry, but the holder renewed: a second claimer gets the other id.
    second = pair.claim("holder-b", now=start + 40, ttl_s=TTL_S)
    assert second is not None and second.node_id != first.node_id
    assert pair.claim("holder-c", now=start + 45, ttl_s=TTL_S) is None

    # The first holder stopped renewing: once its lease lapses, its id is free again,
    # and the old holder's next renewal learns it lost the id.
    third = pair.claim("holder-c", now=start + 51, ttl_s=TTL_S)
    assert third is not None and third.node_id == first.node_id
    assert pair.renew(renewed, now=start + 52, ttl_s=TTL_S) is None


def test_a_released_id_is_free_at_once_and_a_holder_may_claim_its_own(single):
    start = time.time()
    lease = single.claim("holder-a", now=start, ttl_s=TTL_S)
    assert lease is not None
    assert single.claim("holder-b", now=start + 1, ttl_s=TTL_S) is None
    again = single.claim("holder-a", now=start + 1, ttl_s=TTL_S)
    assert again is not None and again.node_id == lease.node_id
    single.release(again)
    taken = single.claim("holder-b", now=start + 2, ttl_s=TTL_S)
    assert taken is not None and taken.node_id == lease.node_id
    single.release(lease)  # not the holder any more: changes nothing
    assert single.claim("holder-a", now=start + 3, ttl_s=TTL_S) is None
    single.release(taken)


def test_ids_are_minted_only_under_a_valid_lease(single):
    start = time.time()
    squatter = single.claim("squatter", now=start, ttl_s=3600)
    assert squatter is not None
    wall, monotonic = Clock(start), Clock(0.0)
    ids = LeasedIds(single, TTL_S, wall=wall, monotonic=monotonic)
    with pytest.raises(NoNodeLease, match="no node id lease"):
        ids.next_id()

    single.release(squatter)
    monotonic.now += 1.0  # claims are tried at most once a second
    minted = ids.next_id()
    assert id_node(minted) == squatter.node_id
    lease = ids._lease
    assert lease is not None

    # Its lease lapses unrenewed and another process takes the id: the renewal finds out,
    # and the source refuses to mint rather than share the id.
    thief = single.claim("thief", now=lease.expires_at + 1, ttl_s=TTL_S)
    assert thief is not None
    ids.renew_once(lease)
    assert ids.node_id is None
    monotonic.now += 1.0
    with pytest.raises(NoNodeLease):
        ids.next_id()
    single.release(thief)
    ids.close()


def test_a_lease_that_stays_valid_keeps_its_id_and_expires_locally_before_the_store(single):
    start = time.time()
    wall, monotonic = Clock(start), Clock(100.0)
    ids = LeasedIds(single, TTL_S, wall=wall, monotonic=monotonic)
    node = id_node(ids.next_id())
    lease = ids._lease
    assert lease is not None and lease.expires_at == pytest.approx(start + TTL_S)
    # Renewed at +10 s: still valid at +30 s, where the first lease alone would be over.
    wall.now, monotonic.now = start + 10, 110.0
    ids.renew_once(lease)
    wall.now, monotonic.now = start + 30, 130.0
    assert id_node(ids.next_id()) == node
    # Without further renewals the holder stops trusting its lease before the store's
    # expiry (+40 s), while the store still refuses the id to others.
    monotonic.now = 110.0 + TTL_S * 0.8 + 0.01
    assert ids.node_id is None
    assert single.claim("other", now=start + 39, ttl_s=TTL_S) is None
    ids.close()


# --- gateways that lease ----------------------------------------------------------------


def _sign_up(url: str, name: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/users",
        json={"username": f"{name}{time.time_ns() % 10**12}", "display_name": name},
        timeout=10,
    )


def test_four_leasing_gateways_mint_no_duplicate_ids_under_concurrent_posts(stack, dynamo):
    settings = stack.settings()
    store = NodeLeaseStore(dynamo, settings.node_lease_first, settings.node_lease_last)
    with gateways(stack, 4) as started:
        urls = [gateway.url for gateway in started]

        # Each leases its node id as it starts, before it makes any id.
        def leased_by_all() -> dict[int, int] | None:
            held = store.held_at(time.time()).items()
            by_pid = {int(h.split("/")[1]): n for n, h in held if h.count("/") == 2}
            return by_pid if all(g.pid in by_pid for g in started) else None

        leases = eventually(leased_by_all, timeout_s=30, what="a lease held by each gateway")
        users = []
        for index, url in enumerate(urls):
            answer = _sign_up(url, f"lease{index}")
            assert answer.status_code == 201, answer.text
            users.append(answer.json())

        def post(job: tuple[int, int]) -> str:
            gateway, n = job
            user = users[(gateway + n) % len(users)]
            answer = httpx.post(
                f"{urls[gateway]}/api/v1/tweets",
                json={"text": f"leased id {gateway}/{n}"},
                headers={"Authorization": f"Bearer {user['token']}"},
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            assert answer.headers["x-chirp-node"] == str(leases[started[gateway].pid])
            return str(answer.json()["tweet_id"])

        jobs = [(gateway, n) for n in range(25) for gateway in range(len(urls))]
        with ThreadPoolExecutor(max_workers=16) as pool:
            tweet_ids = list(pool.map(post, jobs))

    assert len(tweet_ids) == 100
    assert len(set(tweet_ids)) == len(tweet_ids), "duplicate tweet ids"
    user_ids = [int(u["user_id"]) for u in users]
    nodes = {id_node(int(i)) for i in tweet_ids} | {id_node(i) for i in user_ids}
    # Each gateway minted under its own leased id, from the lease range.
    assert nodes == {leases[g.pid] for g in started}
    assert len(nodes) == 4
    assert all(settings.node_lease_first <= n <= settings.node_lease_last for n in nodes)


def test_a_gateway_without_a_lease_answers_writes_503_until_it_gets_one(stack, single):
    node = single._ids[0]
    squatter = single.claim("squatter", now=time.time(), ttl_s=3600)
    assert squatter is not None
    lease_range = {"CHIRP_NODE_LEASE_FIRST": str(node), "CHIRP_NODE_LEASE_LAST": str(node)}
    with gateways(stack, 1, **lease_range) as (gateway,):
        url = gateway.url
        refused = _sign_up(url, "nolease")
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "unavailable"
        assert "node id lease" in refused.json()["error"]["message"]
        assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200

        single.release(squatter)

        def signed_up() -> httpx.Response | None:
            answer = _sign_up(url, "leased")
            return answer if answer.status_code == 201 else None

        created = eventually(signed_up, timeout_s=30, what="a sign-up once the id is free")
        assert id_node(int(created.json()["user_id"])) == node
