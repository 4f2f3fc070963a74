"""OpenSearch (the design review's Elasticsearch) as one embedded node from the codelibs runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from chirp.infra.provision.local.component import Port
from chirp.infra.provision.local.jvm import JvmComponent
from chirp.stack import clients


@dataclass
class OpenSearchServer(JvmComponent):
    name: ClassVar[str] = "opensearch"
    # A Java source file: `java` compiles and runs it in one step (JEP 330).
    main_class: ClassVar[str] = str(Path(__file__).parent / "launchers" / "OpenSearchNode.java")

    @property
    def version(self) -> str:
        return self.settings.opensearch_version

    @property
    def heap_mb(self) -> int:
        return self.settings.opensearch_heap_mb

    def ports(self) -> list[Port]:
        return [
            Port(self.settings.opensearch_port, "opensearch_port"),
            Port(self.settings.opensearch_transport_port, "opensearch_transport_port"),
        ]

    def prepare(self) -> None:
        super().prepare()
        # The runner keeps an opensearch.yml it finds in the node's config directory;
        # the transport port and single-node discovery can only be set there.
        config = self.data_dir / "node_1" / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "opensearch.yml").write_text(
            f"network.host: {self.settings.host}\n"
            f"transport.port: {self.settings.opensearch_transport_port}\n"
            "discovery.type: single-node\n"
        )

    def arguments(self) -> list[str]:
        return [
            "-basePath",
            str(self.data_dir),
            "-numOfNode",
            "1",
            # The runner adds the node number (1) to the base port.
            "-baseHttpPort",
            str(self.settings.opensearch_port - 1),
            "-clusterName",
            "chirp",
        ]

    def probe(self) -> None:
        health = clients.opensearch_client(self.settings, timeout=3).cluster.health()
        if health.get("status") not in ("yellow", "green"):
            raise RuntimeError(f"cluster health is {health.get('status')}")
