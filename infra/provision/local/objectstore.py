"""SeaweedFS (`weed mini`): the S3-compatible object store that holds media.

One process runs its master, volume server, filer, S3 gateway and admin server, every
one bound to 127.0.0.1 on a block of ten ports from `objectstore_base_port` (S3 first). S3 checks
signatures against the credentials generated at first start (mode 600, in the run
directory), handed to the server in its environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chirp.core import components
from chirp.core.errors import MissingDependency
from chirp.infra.provision.local import weed
from chirp.infra.provision.local.component import Component, Port, Problem
from chirp.stack import objectstore

# Offsets from the base port: S3 first, its clients' port.
_OFFSETS = {
    "s3": 0,
    "master": 1,
    "volume": 2,
    "filer": 3,
    "master.grpc": 4,
    "volume.grpc": 5,
    "filer.grpc": 6,
    "s3.grpc": 7,
    # The admin server runs even with its UI off.
    "admin": 8,
    "admin.grpc": 9,
}


@dataclass
class ObjectStore(Component):
    name: ClassVar[str] = components.OBJECTSTORE

    def port_of(self, role: str) -> int:
        return self.settings.objectstore_base_port + _OFFSETS[role]

    def ports(self) -> list[Port]:
        return [Port(self.port_of(role), "objectstore_base_port") for role in _OFFSETS]

    def problems(self) -> list[Problem]:
        if weed.is_built(self.settings.cache_dir):
            return []
        return [Problem("SeaweedFS binary", "chirp doctor --fix (builds it with Go, once)")]

    def prepare(self) -> None:
        if self.problems():
            raise MissingDependency("the SeaweedFS binary", "chirp doctor --fix")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        objectstore.ensure_credentials(self.settings)

    def command(self) -> list[str]:
        host = self.settings.host
        flags = {
            "dir": str(self.data_dir),
            "ip": host,
            "ip.bind": host,
            "s3.port": self.port_of("s3"),
            "s3.port.grpc": self.port_of("s3.grpc"),
            "master.port": self.port_of("master"),
            "master.port.grpc": self.port_of("master.grpc"),
            "volume.port": self.port_of("volume"),
            "volume.port.grpc": self.port_of("volume.grpc"),
            "filer.port": self.port_of("filer"),
            "filer.port.grpc": self.port_of("filer.grpc"),
            "s3.port.iceberg": 0,
            "s3.port.lance": 0,
            "webdav": "false",
            "admin.ui": "false",
            "admin.port": self.port_of("admin"),
            "admin.port.grpc": self.port_of("admin.grpc"),
            "admin.port.legacy": 0,
            "master.telemetry": "false",
            # Unix sockets in our own folder, not /tmp, so stacks never share one.
            "filer.localSocket": str(self.home / "filer.sock"),
            "s3.localSocket": str(self.home / "s3.sock"),
        }
        binary = str(weed.binary_path(self.settings.cache_dir))
        return [binary, "mini", *(f"-{key}={value}" for key, value in flags.items())]

    def env(self) -> dict[str, str]:
        keys = objectstore.credentials(self.settings)
        return {"AWS_ACCESS_KEY_ID": keys.access_key, "AWS_SECRET_ACCESS_KEY": keys.secret_key}

    def endpoint(self) -> str:
        return self.settings.objectstore_endpoint

    def probe(self) -> None:
        client = objectstore.s3_client(self.settings, attempts=1)
        client.list_buckets()

    def after_start(self) -> None:
        client = objectstore.s3_client(self.settings)
        objectstore.ensure_bucket(client, self.settings.objectstore_bucket)
