"""OpenSearch (the seed's Elasticsearch) as one embedded node from the codelibs runner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from opensearchpy import OpenSearch

from infra.local.component import Port
from infra.local.jvm import JvmComponent


@dataclass
class OpenSearchServer(JvmComponent):
    name: ClassVar[str] = "opensearch"
    main_class: ClassVar[str] = "org.codelibs.opensearch.runner.OpenSearchRunner"

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
        client = OpenSearch(hosts=[self.settings.opensearch_url], timeout=3, max_retries=0)
        health = client.cluster.health()
        if health.get("status") not in ("yellow", "green"):
            raise RuntimeError(f"cluster health is {health.get('status')}")
