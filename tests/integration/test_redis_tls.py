"""chirp's Redis client against a real redis-server that, like ElastiCache, speaks only TLS
and demands an AUTH token: a throwaway server on a free port with its own test CA."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from chirp.core.settings import Settings
from chirp.infra.provision.local.ports import free_port
from chirp.stack import clients
from tests.api import eventually
from tests.tlscerts import make_certificates, openssl

pytestmark = pytest.mark.integration

TOKEN = "token-from-secrets-manager"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    server = shutil.which("redis-server")
    if server is None or shutil.which("openssl") is None:
        pytest.fail("redis-server and openssl are needed: chirp doctor --fix installs them")
    directory = tmp_path_factory.mktemp("redis-tls")
    make_certificates(directory)
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", "server.crt", "--tls-key-file", "server.key",
         "--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no",
         "--requirepass", TOKEN, "--save", "", "--appendonly", "no", "--dir", str(directory)],
        cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        settings = _settings(port, directory / "ca.crt")
        eventually(lambda: _answers(settings), timeout_s=30, what="the TLS redis-server")
        yield port, directory / "ca.crt"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _settings(port: int, ca: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "redis_host": "127.0.0.1",
        "redis_port": port,
        "redis_sentinel": False,
        "redis_tls": True,
        "redis_tls_ca_file": ca,
        "redis_auth_token": TOKEN,
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


def _answers(settings: Settings) -> bool:
    try:
        return bool(clients.redis_client(settings, timeout=2).ping())
    except redis.ConnectionError:
        return False


def test_the_client_speaks_tls_and_authenticates_with_the_token(tls_redis):
    port, ca = tls_redis
    client = clients.redis_client(_settings(port, ca))
    client.set("chirp:tls", "yes")
    assert client.get("chirp:tls") == "yes"


def test_a_wrong_token_is_refused(tls_redis):
    port, ca = tls_redis
    with pytest.raises(redis.AuthenticationError):
        clients.redis_client(_settings(port, ca, redis_auth_token="wrong")).ping()


def test_plaintext_does_not_reach_a_tls_only_server(tls_redis):
    port, ca = tls_redis
    with pytest.raises(redis.ConnectionError):
        clients.redis_client(_settings(port, ca, redis_tls=False), timeout=2).ping()


def test_a_server_certificate_from_another_ca_is_refused(tls_redis, tmp_path):
    port, _ = tls_redis
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other",
             "-keyout", "other.key", "-out", "other.crt", cwd=tmp_path)  # fmt: skip
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        clients.redis_client(_settings(port, tmp_path / "other.crt"), timeout=2).ping()
