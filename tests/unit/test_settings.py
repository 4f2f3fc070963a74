from pathlib import Path

import pytest
from pydantic import ValidationError

from chirp.core.settings import Settings


def test_defaults_follow_the_design_ports():
    settings = Settings()
    ports = (settings.lb_port, settings.redis_port, settings.postgres_port, settings.dynamodb_port)
    assert ports == (8080, 6379, 5432, 8000)
    assert (settings.kafka_port, settings.opensearch_port) == (9092, 9200)
    assert settings.gateway_base_port == 8101
    assert settings.run_dir == Path(".chirp")


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("CHIRP_REDIS_PORT", "16379")
    monkeypatch.setenv("CHIRP_RUN_DIR", "/tmp/elsewhere")
    settings = Settings()
    assert settings.redis_port == 16379
    assert settings.redis_url == "redis://127.0.0.1:16379/0"
    assert settings.run_dir == Path("/tmp/elsewhere")


def test_chirp_toml_is_read_and_env_wins_over_it(tmp_path, monkeypatch):
    (tmp_path / "chirp.toml").write_text("kafka_port = 19092\npostgres_port = 15432\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIRP_POSTGRES_PORT", "25432")
    settings = Settings()
    assert settings.kafka_bootstrap == "127.0.0.1:19092"
    assert settings.postgres_port == 25432


def test_invalid_values_are_refused(monkeypatch):
    monkeypatch.setenv("CHIRP_REDIS_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.delenv("CHIRP_REDIS_PORT")
    with pytest.raises(ValidationError):
        Settings(gateways=0)


def test_derived_endpoints():
    settings = Settings(host="127.0.0.1", dynamodb_port=18000, opensearch_port=19200)
    assert settings.dynamodb_endpoint == "http://127.0.0.1:18000"
    assert settings.opensearch_url == "http://127.0.0.1:19200"
    assert settings.postgres_dsn == "postgresql://postgres@127.0.0.1:5432/chirp"
