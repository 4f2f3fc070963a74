"""AWS DynamoDB Local 2.x, persisted on disk with -dbPath."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import boto3
from botocore.config import Config

from infra.local.component import Port
from infra.local.jvm import JvmComponent

# DynamoDB Local accepts any credentials, but the key id must be letters and digits.
LOCAL_CREDENTIALS = {"aws_access_key_id": "chirp", "aws_secret_access_key": "chirp"}


@dataclass
class DynamoDBServer(JvmComponent):
    name: ClassVar[str] = "dynamodb"
    main_class: ClassVar[str] = "com.amazonaws.services.dynamodbv2.local.main.ServerRunner"

    @property
    def version(self) -> str:
        return self.settings.dynamodb_version

    @property
    def heap_mb(self) -> int:
        return self.settings.dynamodb_heap_mb

    def ports(self) -> list[Port]:
        return [Port(self.settings.dynamodb_port, "dynamodb_port")]

    def jvm_options(self) -> list[str]:
        return [f"-Djava.library.path={self.lib}", f"-Dsqlite4java.library.path={self.lib}"]

    def arguments(self) -> list[str]:
        return [
            "-sharedDb",
            "-dbPath",
            str(self.data_dir),
            "-port",
            str(self.settings.dynamodb_port),
            "-disableTelemetry",
        ]

    def probe(self) -> None:
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.settings.dynamodb_endpoint,
            region_name="us-east-1",
            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
            **LOCAL_CREDENTIALS,
        )
        client.list_tables(Limit=1)
