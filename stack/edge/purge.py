"""Tell the edge to forget what changed: PURGE one cached URL, BAN a URL and its pages.

The gateway that served a delete or edit purges at once; the edge purger worker does it
again from the Kafka event, in case the first one was lost. Either one is enough, and
purging twice is harmless. The edge accepts these only from the stack's own addresses.
"""

from __future__ import annotations

import functools
import http.client
import logging
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from chirp.core.settings import Settings

log = logging.getLogger(__name__)

_TIMEOUT_S = 1.0


def tweet_urls(tweet_id: int, author_id: int) -> tuple[list[str], list[str]]:
    """What the edge may hold for a tweet: (paths to purge, prefixes to ban)."""
    return [f"/api/v1/tweets/{tweet_id}"], [f"/api/v1/users/{author_id}/tweets"]


def media_path(url: str) -> str:
    """The edge path of a media URL (`/media/<key>`), whatever host it names."""
    return urlsplit(url).path


def purge_tweet(
    settings: Settings, tweet_id: int, author_id: int, media_urls: Iterable[str] = ()
) -> bool:
    """Purge a tweet, its author's timeline pages and its media; True if the edge took all."""
    paths, prefixes = tweet_urls(tweet_id, author_id)
    return purge_urls(settings, [*paths, *(media_path(u) for u in media_urls)], prefixes)


def purge_urls(settings: Settings, paths: Iterable[str], prefixes: Iterable[str] = ()) -> bool:
    """PURGE each path and BAN each prefix at the edge; False when any was not accepted
    (the edge down, for instance): the worker's purge repeats it. On AWS (a CloudFront
    distribution is set) it is one invalidation instead."""
    paths, prefixes = list(paths), list(prefixes)
    if settings.edge_cloudfront_distribution_id:
        return _invalidate(settings.edge_cloudfront_distribution_id, paths, prefixes)
    requests = [("PURGE", p) for p in paths] + [("BAN", p) for p in prefixes]
    ok = True
    connection = http.client.HTTPConnection(*edge_address(settings), timeout=_TIMEOUT_S)
    try:
        for method, path in requests:
            ok = _send(connection, method, path) and ok
    finally:
        connection.close()
    return ok


def edge_address(settings: Settings) -> tuple[str, int]:
    """Where PURGE and BAN go: the edge's host (its service name in Docker) and port."""
    return settings.edge_host or settings.host, settings.edge_port


def invalidation_paths(paths: Iterable[str], prefixes: Iterable[str]) -> list[str]:
    """CloudFront's invalidation paths: each path, and each prefix with its variants."""
    return list(dict.fromkeys([*paths, *(f"{p}*" for p in prefixes)]))


def _invalidate(distribution_id: str, paths: list[str], prefixes: list[str]) -> bool:
    items = invalidation_paths(paths, prefixes)
    try:
        _cloudfront().create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                "CallerReference": uuid.uuid4().hex,
            },
        )
    except (BotoCoreError, ClientError) as error:
        log.warning("CloudFront invalidation of %s failed: %s", items, error)
        return False
    return True


@functools.cache
def _cloudfront() -> Any:
    return boto3.client("cloudfront")


def _send(connection: http.client.HTTPConnection, method: str, path: str) -> bool:
    try:
        connection.request(method, path)
        answer = connection.getresponse()
        answer.read()
    except (OSError, http.client.HTTPException) as error:
        log.warning("edge %s %s failed: %s", method, path, error)
        connection.close()
        return False
    if answer.status != 200:
        log.warning("edge %s %s answered %s", method, path, answer.status)
    return answer.status == 200
