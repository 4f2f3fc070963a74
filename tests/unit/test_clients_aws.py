"""How stack/clients.py builds its clients for AWS-configured settings, and for the local stack.

No server is asked anything: these check where each client would connect, as whom,
and how requests are signed, from the settings alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import redis
from opensearchpy import Urllib3AWSV4SignerAuth, Urllib3HttpConnection

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings
from chirp.stack import clients, objectstore

CHAIN_KEY = "AKIACHAINEXAMPLE"


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The default credential chain finds keys in the environment (as a task finds its role);
    no other source is consulted."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CHAIN_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def aws_settings(**extra: Any) -> Settings:
    return Settings(
        dynamodb_local=False,
        aws_region="eu-west-2",
        opensearch_host="vpc-chirp.eu-west-2.es.amazonaws.com",
        opensearch_port=443,
        opensearch_scheme="https",
        opensearch_aws_sigv4=True,
        **extra,
    )


def test_aws_clients_pass_no_keys_and_take_the_credential_chain(
    chain: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[dict[str, Any]] = []
    real_client = boto3.client

    def recording_client(service: str, **kwargs: Any) -> Any:
        built.append({"service": service, **kwargs})
        return real_client(service, **kwargs)

    monkeypatch.setattr(boto3, "client", recording_client)
    settings = aws_settings()
    dynamo = clients.dynamodb_client(settings)
    streams = clients.dynamodb_streams_client(settings)
    assert [b["service"] for b in built] == ["dynamodb", "dynamodbstreams"]
    for kwargs in built:
        assert not {"aws_access_key_id", "aws_secret_access_key", "endpoint_url"} & set(kwargs)
        assert kwargs["region_name"] == "eu-west-2"
    # Each service at its own regional endpoint; the keys are the chain's.
    assert dynamo.meta.endpoint_url == "https://dynamodb.eu-west-2.amazonaws.com"
    assert streams.meta.endpoint_url == "https://streams.dynamodb.eu-west-2.amazonaws.com"
    for client in (dynamo, streams):
        assert client._request_signer._credentials.access_key == CHAIN_KEY


def test_configured_endpoints_are_each_services_own() -> None:
    settings = aws_settings(
        dynamodb_endpoint_url="https://dynamodb.example.internal",
        dynamodb_streams_endpoint_url="https://streams.example.internal",
    )
    assert clients.aws_connection(settings, "dynamodb")["endpoint_url"] == (
        "https://dynamodb.example.internal"
    )
    assert clients.aws_connection(settings, "dynamodbstreams")["endpoint_url"] == (
        "https://streams.example.internal"
    )


def test_the_region_comes_from_chirp_then_the_aws_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CHIRP_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().aws_region is None
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert Settings().aws_region == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert Settings().aws_region == "eu-central-1"
    monkeypatch.setenv("CHIRP_AWS_REGION", "sa-east-1")
    settings = Settings(dynamodb_local=False)
    assert clients.aws_connection(settings, "dynamodb")["region_name"] == "sa-east-1"


def test_dynamodb_local_keeps_its_address_and_fixed_keys() -> None:
    settings = Settings(dynamodb_port=18000)
    local = clients.aws_connection(settings, "dynamodbstreams")
    assert local["endpoint_url"] == "http://127.0.0.1:18000"
    assert local["aws_access_key_id"] == "chirp"


def test_opensearch_on_aws_is_https_and_signs_with_the_chain(chain: None) -> None:
    client = clients.opensearch_client(aws_settings())
    (connection,) = client.transport.connection_pool.connections
    assert isinstance(connection, Urllib3HttpConnection)
    assert connection.host == "https://vpc-chirp.eu-west-2.es.amazonaws.com:443"
    signer = connection.http_auth
    assert isinstance(signer, Urllib3AWSV4SignerAuth)
    headers = signer("GET", f"{connection.host}/tweets/_search", b"{}", {})
    assert headers["Authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={CHAIN_KEY}/")
    assert "/eu-west-2/es/aws4_request" in headers["Authorization"]


def test_opensearch_signing_without_credentials_is_one_clear_error(
    chain: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ConfigError, match="task role"):
        clients.opensearch_client(aws_settings())


def test_local_opensearch_stays_plain_and_unsigned() -> None:
    client = clients.opensearch_client(Settings(opensearch_port=19200))
    (connection,) = client.transport.connection_pool.connections
    assert connection.host == "http://127.0.0.1:19200"
    assert connection.http_auth is None


def test_kafka_speaks_sasl_ssl_when_configured() -> None:
    settings = Settings(
        kafka_brokers="b-1.msk:9096,b-2.msk:9096",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="chirp",
        kafka_sasl_password="from-secrets-manager",
    )
    assert clients.kafka_config(settings) == {
        "bootstrap.servers": "b-1.msk:9096,b-2.msk:9096",
        "security.protocol": "SASL_SSL",
        "ssl.ca.location": "probe",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "chirp",
        "sasl.password": "from-secrets-manager",
    }
    local = clients.kafka_config(Settings(kafka_port=19092))
    assert local == {"bootstrap.servers": "127.0.0.1:19092", "security.protocol": "PLAINTEXT"}


def test_kafka_sasl_without_its_password_is_one_clear_error() -> None:
    settings = Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512")
    with pytest.raises(ConfigError, match="CHIRP_KAFKA_SASL_PASSWORD"):
        clients.kafka_config(settings)


def test_redis_on_elasticache_is_tls_with_the_auth_token() -> None:
    settings = Settings(
        redis_host="master.chirp.cache.amazonaws.com",
        redis_sentinel=False,
        redis_tls=True,
        redis_auth_token="from-secrets-manager",
    )
    client = clients.redis_client(settings)
    pool = client.connection_pool
    assert pool.connection_class is redis.SSLConnection
    assert pool.connection_kwargs["password"] == "from-secrets-manager"
    assert pool.connection_kwargs["ssl_cert_reqs"] == "required"
    assert pool.connection_kwargs["host"] == "master.chirp.cache.amazonaws.com"


def test_media_on_aws_goes_to_s3_in_the_region_as_the_task_role(
    chain: None, tmp_path: Path
) -> None:
    # No credentials file in the run dir, no keys in the settings: the chain's are used.
    s3 = objectstore.s3_client(aws_settings(objectstore_local=False, run_dir=tmp_path))
    assert s3.meta.endpoint_url == "https://s3.eu-west-2.amazonaws.com"
    assert s3._request_signer._credentials.access_key == CHAIN_KEY
    assert s3.meta.config.s3 is None or s3.meta.config.s3.get("addressing_style") != "path"


def test_the_local_object_store_keeps_its_address_path_style_and_the_run_dirs_keys(
    tmp_path: Path,
) -> None:
    settings = Settings(run_dir=tmp_path, objectstore_base_port=18333)
    keys = objectstore.ensure_credentials(settings)
    s3 = objectstore.s3_client(settings)
    assert s3.meta.endpoint_url == "http://127.0.0.1:18333"
    assert s3._request_signer._credentials.access_key == keys.access_key
    assert s3.meta.config.s3 == {"addressing_style": "path"}
