"""Same-shape ceilings of the stack's stores, measured in the same run as the benchmark.

Each ceiling does exactly the store work one unit of the stack's work does, with nothing
of chirp's in the way, so "capacity / ceiling" says how much of the store's limit the
stack's own path leaves:

- fan-out: the fan-out worker's own feed write (`Timelines.deliver`, the same Lua script
  in the same pipelines) for a batch of tweets, each to its author and as many followers
  as the drained backlog's authors have, by a bare Redis client in as many processes as
  the stack runs fan-out workers;
- post: the one DynamoDB write a keyed post makes (`post_transaction`: TransactWriteItems
  of the idempotency key and the tweet, each conditional, the same item sizes), by bare
  boto3 clients on scratch tables of the same keys and index, at the post phase's
  concurrency.

Scratch feeds and tables are deleted afterwards, even when the measurement fails.
`python -m chirp.loadtests.ceilings fanout|post ...` is one measuring process (started by
these functions, never by hand); it prints `{"ops": N, "elapsed_s": S}`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from chirp.core.settings import Settings, get_settings

_SCRATCH_USER_BASE = 2**62  # far above any snowflake id a stack mints or seeds
FANOUT_BATCH = 500  # tweets per call, as the fan-out worker takes them from a backlog
_TEXT = "a benchmark tweet of a usual length, #bench with a mention @someone and words " * 2


@dataclass(frozen=True)
class Ceiling:
    per_s: float
    processes: int
    definition: str

    def as_dict(self) -> dict[str, Any]:
        return {"per_s": round(self.per_s, 2), "processes": self.processes}


def fanout_ceiling(
    settings: Settings, *, followers: int, processes: int = 1, seconds: float = 3.0
) -> Ceiling:
    """Feed deliveries per second per process of the worker's own write on scratch feeds."""
    args = ["fanout", "--followers", str(followers)]
    per_s = _run_processes(args, seconds, processes, settings) / processes
    return Ceiling(
        per_s,
        processes,
        f"Timelines.deliver of {FANOUT_BATCH} tweets, each to its author and {followers} "
        f"scratch feeds (the fan-out worker's Lua script and pipelines), bare redis-py, "
        f"{processes} process(es); per process",
    )


def post_ceiling(
    settings: Settings, *, concurrency: int, processes: int = 2, seconds: float = 5.0
) -> Ceiling:
    """Keyed-post writes per second (TransactWriteItems) on scratch tables of the same shape."""
    from chirp.stack.clients import dynamodb_client
    from chirp.stack.schema import tables

    suffix = uuid.uuid4().hex[:10]
    names = {
        tables.TWEETS: f"chirp-bench-tweets-{suffix}",
        tables.IDEMPOTENCY: f"chirp-bench-keys-{suffix}",
    }
    client = dynamodb_client(settings)
    try:
        for real, scratch in names.items():
            spec = _without_stream(tables.TABLE_SPECS[real])
            client.create_table(TableName=scratch, BillingMode="PAY_PER_REQUEST", **spec)
        for scratch in names.values():
            client.get_waiter("table_exists").wait(
                TableName=scratch, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
            )
        threads = max(1, round(concurrency / processes))
        args = [
            "post",
            "--tweets-table", names[tables.TWEETS],
            "--keys-table", names[tables.IDEMPOTENCY],
            "--threads", str(threads),
        ]  # fmt: skip
        per_s = _run_processes(args, seconds, processes, settings)
    finally:
        for scratch in names.values():
            with contextlib.suppress(Exception):  # a table that was never made is no matter
                client.delete_table(TableName=scratch)
    return Ceiling(
        per_s,
        processes,
        f"post_transaction (TransactWriteItems: idempotency key + tweet, both conditional) "
        f"on scratch tables of the same keys and index (no stream), bare boto3, "
        f"{processes} processes x {threads} threads; all processes together",
    )


def _without_stream(spec: dict[str, Any]) -> dict[str, Any]:
    # DynamoDB Local writes to a freshly made stream about ten times slower than to the
    # stack's own long-lived one, so a scratch stream would time that artefact instead.
    return {k: v for k, v in spec.items() if k != "StreamSpecification"}


def _run_processes(args: list[str], seconds: float, processes: int, settings: Settings) -> float:
    """Operations per second summed over `processes` measuring processes."""
    from chirp.infra.provision.local.env import settings_env

    command = [sys.executable, "-m", "chirp.loadtests.ceilings", *args, "--seconds", str(seconds)]
    env = settings_env(settings)
    running = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(processes)
    ]
    total = 0.0
    failures: list[str] = []
    for process in running:
        out, err = process.communicate(timeout=seconds + 120)
        if process.returncode != 0:
            failures.append((err.strip().splitlines() or ["no output"])[-1])
            continue
        result = json.loads(out)
        total += result["ops"] / result["elapsed_s"]
    if failures:
        raise RuntimeError(f"a ceiling process failed: {failures[0]}")
    return total


def _fanout_loop(followers: int, seconds: float) -> dict[str, float]:
    from chirp.stack.clients import redis_client
    from chirp.stack.feed.entries import Entry
    from chirp.stack.feed.timeline import Timelines, feed_ttl_s
    from chirp.stack.ids import IdGenerator

    settings = get_settings()
    client = redis_client(settings)
    timelines = Timelines(
        client,
        feed_max=settings.feed_max,
        celeb_max=settings.celeb_max,
        ttl_s=feed_ttl_s(settings.active_days),
    )
    base = _SCRATCH_USER_BASE + (os.getpid() % 10_000) * 1_000_000
    authors = list(range(base, base + FANOUT_BATCH))
    audience = list(range(base + FANOUT_BATCH, base + FANOUT_BATCH + followers))
    ids = IdGenerator(1023)
    written, started = 0, time.monotonic()
    try:
        while time.monotonic() - started < seconds:
            batch = [([Entry(ids.next_id(), author)], author) for author in authors]
            own = [(entries, [author]) for entries, author in batch]
            to_followers = [(entries, audience) for entries, _ in batch]
            written += timelines.deliver(own + to_followers)
        elapsed = time.monotonic() - started
    finally:
        timelines.drop(authors + audience)
        client.close()
    return {"ops": written, "elapsed_s": elapsed}


def _post_loop(
    tweets_table: str, keys_table: str, threads: int, seconds: float
) -> dict[str, float]:
    from chirp.stack.clients import dynamodb_client
    from chirp.stack.ids import IdGenerator
    from chirp.stack.text import hashtags, mentions
    from chirp.stack.tweets.model import Tweet
    from chirp.stack.tweets.store import post_transaction

    client = dynamodb_client(get_settings(), max_pool=threads, attempts=1)
    ids = IdGenerator(1022)
    counts = [0] * threads
    started = time.monotonic()

    def write(index: int) -> None:
        author = _SCRATCH_USER_BASE + os.getpid() * 100 + index
        while time.monotonic() - started < seconds:
            tweet = Tweet(
                tweet_id=ids.next_id(),
                user_id=author,
                text=_TEXT,
                created_at_ms=int(time.time() * 1000),
                hashtags=hashtags(_TEXT),
                mentions=mentions(_TEXT),
            )
            key = f"{author}:{uuid.uuid4().hex}"
            client.transact_write_items(
                TransactItems=post_transaction(
                    tweet.to_item(),
                    tweet,
                    key,
                    tweets_table=tweets_table,
                    idempotency_table=keys_table,
                )
            )
            counts[index] += 1

    workers = [threading.Thread(target=write, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"ops": sum(counts), "elapsed_s": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chirp.loadtests.ceilings")
    sub = parser.add_subparsers(dest="what", required=True)
    fanout = sub.add_parser("fanout")
    fanout.add_argument("--followers", type=int, required=True)
    post = sub.add_parser("post")
    post.add_argument("--tweets-table", required=True)
    post.add_argument("--keys-table", required=True)
    post.add_argument("--threads", type=int, default=8)
    for command in (fanout, post):
        command.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.what == "fanout":
        result = _fanout_loop(args.followers, args.seconds)
    else:
        result = _post_loop(args.tweets_table, args.keys_table, args.threads, args.seconds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
