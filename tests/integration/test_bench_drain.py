"""The bench's fan-out drain and lag probes on a small real backlog, against the session stack."""

from __future__ import annotations

import psutil
import pytest

from chirp.infra.provision import provider_for
from chirp.infra.provision.local import provider
from chirp.loadtests.bench import drain, probes
from chirp.loadtests.population import Member
from tests.api import Api

pytestmark = pytest.mark.integration

FOLLOWERS = 30
POSTS = 4


@pytest.fixture(scope="module")
def author(stack):
    """One author with FOLLOWERS followers, as the bench's population would list them."""
    api = Api(f"http://127.0.0.1:{stack.port('lb_port')}")
    user = api.sign_up("drain")
    for _ in range(FOLLOWERS):
        api.follow(api.sign_up("reader"), user)
    return Member(
        user_id=user.user_id, username=user.username, token=user.token, followers=FOLLOWERS
    )


def test_a_drained_backlog_counts_every_delivery_and_resumes_the_workers(stack, author):
    settings = stack.settings()
    base = f"http://127.0.0.1:{stack.port('lb_port')}"
    wanted = POSTS * (FOLLOWERS + 1)
    assert drain.posts_for([author], wanted) == POSTS

    faults = provider_for(settings, "local").faults()
    result = drain.measure_drain(
        settings, base, [author], faults=faults, deliveries=wanted, workers=1
    )

    assert result.posts == POSTS and result.refused == 0
    assert result.expected_deliveries == wanted
    assert result.deliveries == wanted  # each post reached the author and every follower once
    assert result.drain_s > 0
    assert result.per_s_per_worker is not None and result.per_s_per_worker > 0
    record = provider.running(provider.find(settings, "fanout"))
    assert record is not None
    assert record.process().status() != psutil.STATUS_STOPPED


def test_lag_probes_sample_every_acknowledged_post(stack, author):
    settings = stack.settings()
    base = f"http://127.0.0.1:{stack.port('lb_port')}"
    authors = probes.probe_authors(base, [author], wanted=1)
    assert len(authors) == 1

    samples = probes.measure_lags(settings, base, authors, rate=5.0, duration_s=2.0)

    assert samples.posted == 10 and samples.refused == 0
    assert len(samples.fanout_ms) == samples.posted and samples.fanout_missed == 0
    assert len(samples.index_ms) == samples.posted and samples.index_missed == 0
    assert all(lag >= 0 for lag in samples.fanout_ms + samples.index_ms)
