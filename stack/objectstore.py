"""The S3-compatible object store that holds media: its credentials and a boto3 client.

The local stack generates the credentials at the store's first start and keeps them in
a file of the run directory readable only by its owner; settings may name them instead
(compose). On AWS (`objectstore_local` false) the bucket is Amazon S3's and the client
takes the task role from the default credential chain.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from chirp.core.errors import ConfigError
from chirp.core.settings import Settings

_REGION = "us-east-1"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


def credentials_file(settings: Settings) -> Path:
    return settings.run_dir.resolve() / "objectstore" / "credentials.json"


def ensure_credentials(settings: Settings) -> Credentials:
    """The stack's credentials, generated (mode 600) when the run directory has none."""
    path = credentials_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = {
            "access_key": "CHIRP" + secrets.token_hex(8).upper(),
            "secret_key": secrets.token_urlsafe(30),
        }
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(json.dumps(fresh))
    return credentials(settings)


def credentials(settings: Settings) -> Credentials:
    """The credentials from settings, else from the run directory's file."""
    if settings.objectstore_access_key and settings.objectstore_secret_key:
        return Credentials(settings.objectstore_access_key, settings.objectstore_secret_key)
    path = credentials_file(settings)
    try:
        data = json.loads(path.read_text())
        return Credentials(str(data["access_key"]), str(data["secret_key"]))
    except (OSError, ValueError, KeyError) as error:
        raise ConfigError(
            f"no object store credentials in {path}; start the stack with `chirp up` "
            "or set CHIRP_OBJECTSTORE_ACCESS_KEY and CHIRP_OBJECTSTORE_SECRET_KEY"
        ) from error


def s3_client(settings: Settings, *, max_pool: int = 16, attempts: int = 3) -> Any:
    config = Config(
        connect_timeout=2,
        read_timeout=10,
        retries={"max_attempts": attempts, "mode": "standard"},
        max_pool_connections=max_pool,
        signature_version="s3v4",
    )
    if not settings.objectstore_local:
        return boto3.client("s3", region_name=settings.aws_region, config=config)
    keys = credentials(settings)
    return boto3.client(
        "s3",
        endpoint_url=settings.objectstore_endpoint,
        region_name=_REGION,
        aws_access_key_id=keys.access_key,
        aws_secret_access_key=keys.secret_key,
        config=config.merge(Config(s3={"addressing_style": "path"})),
    )


def public_read_policy(bucket: str) -> str:
    """Objects may be read by key without credentials (the edge fetches them so); nothing
    else: no listing, no writes. Keys are random, so only a published URL finds one."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EdgeReadsObjects",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject"],
                    "Resource": [f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
    )


def ensure_bucket(client: Any, bucket: str) -> bool:
    """Create the media bucket with its read policy unless it exists; True if created."""
    names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    created = bucket not in names
    if created:
        client.create_bucket(Bucket=bucket)
    client.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket))
    return created
