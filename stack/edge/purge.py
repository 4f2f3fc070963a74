"""Tell the edge to forget what changed: PURGE one cached URL, BAN a URL and its pages.

The gateway that served a delete or edit purges at once; the edge purger worker does it
again from the Kafka event, in case the first one was lost. Either one is enough, and
purging twice is harmless. The edge accepts these only from 127.0.0.1.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from stack.settings import Settings

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
    (the edge down, for instance): the worker's purge repeats it."""
    requests = [("PURGE", p) for p in paths] + [("BAN", p) for p in prefixes]
    ok = True
    connection = http.client.HTTPConnection(settings.host, settings.edge_port, timeout=_TIMEOUT_S)
    try:
        for method, path in requests:
            ok = _send(connection, method, path) and ok
    finally:
        connection.close()
    return ok


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
