"""Apache Kafka 4.x as one KRaft node that is both broker and controller."""

from __future__ import annotations

import base64
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from chirp.core import components
from chirp.core.errors import ComponentFailed
from chirp.infra.provision.local.component import Port
from chirp.infra.provision.local.java import find_java
from chirp.infra.provision.local.jvm import JvmComponent
from chirp.stack import clients

_LOG4J2 = """\
status = warn
shutdownHook = disable
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache.kafka
logger.apache.level = warn
"""


def _cluster_id() -> str:
    """A random cluster id in Kafka's own form: URL-safe base64 of 16 bytes, unpadded.

    About one id in 64 starts with "-", which is why it is passed as `--cluster-id=ID`.
    """
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


@dataclass
class KafkaServer(JvmComponent):
    name: ClassVar[str] = components.KAFKA
    main_class: ClassVar[str] = "kafka.Kafka"

    @property
    def version(self) -> str:
        return self.settings.kafka_version

    @property
    def heap_mb(self) -> int:
        return self.settings.kafka_heap_mb

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    def ports(self) -> list[Port]:
        return [
            Port(self.settings.kafka_port, "kafka_port"),
            Port(self.settings.kafka_controller_port, "kafka_controller_port"),
        ]

    def _properties(self) -> str:
        s = self.settings
        controller = f"{s.host}:{s.kafka_controller_port}"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{controller}",
            "listeners": f"PLAINTEXT://{s.host}:{s.kafka_port},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{s.host}:{s.kafka_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": str(s.kafka_partitions),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "6",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "log.retention.hours": "168",
        }
        return "".join(f"{key}={value}\n" for key, value in props.items())

    def jvm_options(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            # The quick compiler only: the broker's work here is small and batched, and
            # C2 spent more CPU compiling in the first minutes than the idle broker uses.
            "-XX:TieredStopAtLevel=1",
        ]

    def prepare(self) -> None:
        super().prepare()
        self.config_file.write_text(self._properties())
        (self.home / "log4j2.properties").write_text(_LOG4J2)
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage()

    def _format_storage(self) -> None:
        result = subprocess.run(
            [
                find_java(self.settings.java_home),
                "-Xmx256m",
                *self.jvm_options(),
                "-cp",
                f"{self.lib}/*",
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={_cluster_id()}",
                "-c",
                str(self.config_file),
                "--ignore-formatted",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise ComponentFailed(self.name, f"storage format failed: {' '.join(detail)}")

    def arguments(self) -> list[str]:
        return [str(self.config_file)]

    def probe(self) -> None:
        metadata = clients.kafka_admin(self.settings).list_topics(timeout=2)
        if not metadata.brokers:
            raise RuntimeError("no broker in cluster metadata")
