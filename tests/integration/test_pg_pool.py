"""The fail-fast PostgreSQL pool: with no server a checkout fails after half a second
and later ones sooner still; a busy pool with its server answering keeps its timeout."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from psycopg_pool import PoolTimeout

from chirp.stack import clients
from chirp.stack.resources import FailFastPool
from tests.stackenv import StackEnv

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _open(conninfo: str, **options) -> FailFastPool:
    return FailFastPool(conninfo, min_size=1, max_size=1, open=True, **options)


@pytest.fixture
def nowhere() -> Iterator[FailFastPool]:
    pool = _open(f"host=127.0.0.1 port={_closed_port()} dbname=chirp", timeout=5)
    yield pool
    pool.close()


def test_with_no_server_a_checkout_gives_up_early_and_the_next_sooner(nowhere: FailFastPool):
    with pytest.raises(PoolTimeout, match=r"after 0\.50 sec"):
        nowhere.getconn()
    assert nowhere.away

    with pytest.raises(PoolTimeout, match=r"after 0\.25 sec"):
        nowhere.getconn()
    assert nowhere.away


def test_a_busy_pool_with_its_server_answering_keeps_its_timeout(stack: StackEnv):
    settings = stack.settings()
    password = clients.postgres_password(settings)
    pool = _open(
        settings.postgres_write_dsn, timeout=1.5, kwargs={"autocommit": True, "password": password}
    )
    try:
        held = pool.getconn()
        with pytest.raises(PoolTimeout, match=r"after 1\.50 sec"):
            pool.getconn()
        assert not pool.away
        pool.putconn(held)

        pool.away = True  # as after an outage: the first checkout that succeeds ends it
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert not pool.away
    finally:
        pool.close()
