"""Exact lag samples: posts at a constant rate, each watched until it is delivered.

Every probe is a real post through the load balancer by a seeded author with a known
follower. From its 201 the probe is watched in two places at once:

- fan-out lag: until the tweet is in the follower's feed. An author with at most 100
  followers has all their feeds written by one script call of the fan-out worker, so
  the one follower stands for the last of them;
- index lag: until the search index finds the probe's unique word.

One watcher per kind asks for every pending probe in one round trip (a Redis pipeline,
one OpenSearch query) each `poll` interval, so watching costs the stack little; the
interval is the samples' resolution and is reported with them.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
import gevent.pool

from chirp.core.settings import Settings
from chirp.loadtests.population import Member

MAX_PROBE_FOLLOWERS = 100
FANOUT_POLL_S = 0.02
INDEX_POLL_S = 0.05
WATCH_TIMEOUT_S = 30.0
_HTTP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ProbeAuthor:
    member: Member
    follower_id: int


@dataclass
class Probe:
    author: ProbeAuthor
    word: str
    acked_at: float
    tweet_id: int


@dataclass
class LagSamples:
    """Milliseconds from each probe's 201 to its delivery; probes never seen are missed."""

    fanout_ms: list[float] = field(default_factory=list)
    index_ms: list[float] = field(default_factory=list)
    posted: int = 0
    refused: int = 0
    fanout_missed: int = 0
    index_missed: int = 0


def post_json(base: str, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST one JSON body with a bearer token; (status, parsed body or None); 0 on no answer."""
    request = urllib.request.Request(
        f"{base}{path}",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT_S) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None
    except (OSError, ValueError):
        return 0, None


def get_json(base: str, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{base}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT_S) as answer:
            return json.loads(answer.read())
    except (OSError, ValueError):
        return None


def probe_authors(base: str, members: list[Member], wanted: int) -> list[ProbeAuthor]:
    """Up to `wanted` authors with 1..100 followers, each with one follower to watch."""
    found: list[ProbeAuthor] = []
    for member in members:
        if not 1 <= member.followers <= MAX_PROBE_FOLLOWERS:
            continue
        page = get_json(base, f"/api/v1/users/{member.user_id}/followers?limit=1", member.token)
        items = (page or {}).get("items") or []
        if items:
            found.append(ProbeAuthor(member, int(items[0]["user_id"])))
        if len(found) >= wanted:
            break
    return found


def measure_lags(
    settings: Settings,
    base: str,
    authors: list[ProbeAuthor],
    *,
    rate: float,
    duration_s: float,
    on_progress: Callable[[float], None] = lambda _: None,
) -> LagSamples:
    """Post at `rate` per second for `duration_s` (open loop: starts on schedule, however
    slow the answers) and watch each acknowledged post until delivered and searchable."""
    from chirp.stack.clients import opensearch_client, redis_client
    from chirp.stack.feed.timeline import Timelines

    samples = LagSamples()
    fanout_pending: dict[int, Probe] = {}
    index_pending: dict[str, Probe] = {}
    redis = redis_client(settings)
    search = opensearch_client(settings)
    timelines = Timelines(redis, feed_max=settings.feed_max, celeb_max=0, ttl_s=1)
    posting = [True]

    def post_one(index: int) -> None:
        author = authors[index % len(authors)]
        word = f"benchlag{uuid.uuid4().hex[:12]}"
        status, body = post_json(
            base, "/api/v1/tweets", author.member.token, {"text": f"lag probe {word}"}
        )
        acked = time.monotonic()
        if status != 201 or not body:
            samples.refused += 1
            return
        samples.posted += 1
        probe = Probe(author, word, acked, int(body["tweet_id"]))
        fanout_pending[probe.tweet_id] = probe
        index_pending[word] = probe

    def watch_fanout() -> None:
        from chirp.stack.feed.entries import Entry

        while posting[0] or fanout_pending:
            gevent.sleep(FANOUT_POLL_S)
            probes = list(fanout_pending.values())
            if not probes:
                continue
            held = timelines.holding(
                [
                    (p.author.follower_id, Entry(p.tweet_id, int(p.author.member.user_id)))
                    for p in probes
                ]
            )
            now = time.monotonic()
            for probe, there in zip(probes, held, strict=True):
                if there:
                    samples.fanout_ms.append((now - probe.acked_at) * 1000)
                    del fanout_pending[probe.tweet_id]
                elif now - probe.acked_at > WATCH_TIMEOUT_S:
                    samples.fanout_missed += 1
                    del fanout_pending[probe.tweet_id]

    def watch_index() -> None:
        from chirp.stack.schema.indices import TWEETS_INDEX

        while posting[0] or index_pending:
            gevent.sleep(INDEX_POLL_S)
            words = list(index_pending)
            if not words:
                continue
            query = {"query": {"terms": {"text": words}}, "_source": ["text"], "size": len(words)}
            try:
                hits = search.search(index=TWEETS_INDEX, body=query)["hits"]["hits"]
            except Exception:  # a slow or refused query is one more poll, not a failure
                continue
            now = time.monotonic()
            for hit in hits:
                word = hit["_source"]["text"].rsplit(" ", 1)[-1]
                probe = index_pending.pop(word, None)
                if probe is not None:
                    samples.index_ms.append((now - probe.acked_at) * 1000)
            for word in [w for w, p in index_pending.items() if now - p.acked_at > WATCH_TIMEOUT_S]:
                samples.index_missed += 1
                del index_pending[word]

    watchers = [gevent.spawn(watch_fanout), gevent.spawn(watch_index)]
    posters = gevent.pool.Group()
    started = time.monotonic()
    total = max(1, int(rate * duration_s))
    try:
        for index in range(total):
            intended = started + index / rate
            wait = intended - time.monotonic()
            if wait > 0:
                gevent.sleep(wait)
            posters.spawn(post_one, index)
            on_progress(min(duration_s, time.monotonic() - started))
        posters.join(timeout=_HTTP_TIMEOUT_S + 5)
        posting[0] = False
        gevent.joinall(watchers, timeout=WATCH_TIMEOUT_S + 5)
    finally:
        posting[0] = False
        gevent.killall(watchers)
        posters.kill()
        redis.close()
        search.close()
    return samples
