"""chirp's Kafka clients against a real broker that, like the MSK cluster, accepts only
TLS with SASL/SCRAM-SHA-512: a throwaway KRaft node from the cached Kafka jars, on free
ports, with its own test CA and a SCRAM user written at storage format time."""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException

from chirp.core.settings import Settings
from chirp.infra.provision.local.java import find_java
from chirp.infra.provision.local.ports import free_port
from chirp.stack import clients
from chirp.stack.relay.publisher import NotDelivered, Publisher
from chirp.stack.schema import topics
from tests.api import eventually
from tests.tlscerts import make_certificates

pytestmark = pytest.mark.integration

USER, PASSWORD = "chirp", "scram-password-from-secrets-manager"
_JAAS = (
    "org.apache.kafka.common.security.scram.ScramLoginModule required "
    f'username="{USER}" password="{PASSWORD}";'
)


def _properties(directory: Path, port: int, controller: int) -> str:
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller}",
        "listeners": f"SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
        "advertised.listeners": f"SASL_SSL://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
        "inter.broker.listener.name": "SASL_SSL",
        "sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": _JAAS,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(directory / "server.pem"),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(directory / "ca.crt"),
        "log.dirs": str(directory / "data"),
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in props.items())


def _settings(port: int, ca: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "kafka_brokers": f"127.0.0.1:{port}",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": USER,
        "kafka_sasl_password": PASSWORD,
        "kafka_ssl_ca_file": ca,
        **extra,
    }
    return Settings(**values)  # type: ignore[arg-type]


def _has_broker(settings: Settings) -> bool:
    try:
        return bool(clients.kafka_admin(settings).list_topics(timeout=3).brokers)
    except KafkaException:
        return False


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    directory = tmp_path_factory.mktemp("kafka-sasl")
    make_certificates(directory)
    pem = (directory / "server.key").read_text() + (directory / "server.crt").read_text()
    (directory / "server.pem").write_text(pem)
    port, controller = free_port(), free_port()
    (directory / "server.properties").write_text(_properties(directory, port, controller))
    settings = Settings()
    java = find_java(settings.java_home)
    lib = settings.cache_dir / f"kafka-{settings.kafka_version}" / "lib"
    if not lib.exists():
        pytest.fail(f"no Kafka jars in {lib}: run `chirp doctor --fix`")
    base = [java, "-Xms256m", "-Xmx256m", "-cp", f"{lib}/*"]
    cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    subprocess.run(
        [*base, "kafka.tools.StorageTool", "format", f"--cluster-id={cluster}",
         "-c", "server.properties", "--add-scram",
         f"SCRAM-SHA-512=[name={USER},password={PASSWORD}]"],
        cwd=directory, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    log = (directory / "kafka.log").open("wb")
    process = subprocess.Popen(
        [*base, "kafka.Kafka", "server.properties"], cwd=directory, stdout=log, stderr=log
    )
    try:
        ca = directory / "ca.crt"
        eventually(
            lambda: process.poll() is None and _has_broker(_settings(port, ca)),
            timeout_s=120,
            what=f"the SASL_SSL broker (log: {directory / 'kafka.log'})",
        )
        yield _settings(port, ca)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_topics_are_created_and_events_flow_over_sasl_ssl(broker):
    settings = broker
    created = topics.create_topics(clients.kafka_admin(settings), partitions=2)
    assert set(created) == set(topics.all_topics())
    topic = topics.EVENT_TOPICS[0]
    Publisher(clients.kafka_config(settings)).publish([(topic, "k", b"over TLS and SCRAM")])
    consumer = Consumer(
        {**clients.kafka_config(settings), "group.id": "sasl-test", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    try:
        message = eventually(lambda: consumer.poll(1.0), timeout_s=60, what="the event")
        assert message.error() is None and message.value() == b"over TLS and SCRAM"
    finally:
        consumer.close()


def test_a_wrong_password_is_refused(broker):
    wrong = broker.model_copy(update={"kafka_sasl_password": "wrong"})
    with pytest.raises(NotDelivered):
        Publisher(clients.kafka_config(wrong), timeout_s=5).publish([("x", "k", b"v")])


def test_plaintext_clients_get_nothing_from_a_tls_only_broker(broker):
    plain = broker.model_copy(update={"kafka_security_protocol": "PLAINTEXT"})
    assert not _has_broker(plain)
