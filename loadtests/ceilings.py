"""Raw ceilings of the stack's own stores, measured in the same run as the benchmark.

- Redis: pipelined ZADD per second on a scratch key, with `redis-benchmark` (Redis' own
  C client, so the generator is not the limit) when it is installed, else Python
  processes pipelining with redis-py.
- DynamoDB: concurrent PutItem per second on a scratch table, from several processes
  (boto3 spends CPU per call; one Python process would measure itself).

Scratch keys and tables are deleted afterwards, even when the measurement fails.
`python -m loadtests.ceilings put|zadd ...` is one measuring process (started by these
functions, never by hand); it prints `{"ops": N, "elapsed_s": S}`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from stack.settings import Settings

_FEED_MEMBERS = 800  # like a feed capped at FEED_MAX: updates, not unbounded growth


@dataclass(frozen=True)
class Ceiling:
    per_s: float
    tool: str


def redis_zadd_ceiling(settings: Settings, seconds: float = 3.0, processes: int = 2) -> Ceiling:
    """Pipelined ZADDs per second on a scratch key of the stack's Redis."""
    from stack.clients import redis_client, redis_primary_address

    key = f"chirp:bench:zadd:{uuid.uuid4().hex[:12]}"
    client = redis_client(settings)
    host, port = redis_primary_address(settings)  # after a failover, not `redis_port`
    try:
        if shutil.which("redis-benchmark"):
            rate = _redis_benchmark(host, port, key, seconds)
            return Ceiling(rate, "redis-benchmark -P 64 -c 8")
        url = f"redis://{host}:{port}/0"
        ops = _run_processes(["zadd", "--url", url, "--key", key], seconds, processes)
        return Ceiling(ops, f"redis-py pipelines x{processes} processes")
    finally:
        client.delete(key)
        client.close()


def dynamodb_put_ceiling(settings: Settings, seconds: float = 5.0, processes: int = 2) -> Ceiling:
    """Concurrent PutItems per second on a scratch table of the stack's DynamoDB."""
    from stack.clients import dynamodb_client

    table = f"chirp-bench-{uuid.uuid4().hex[:12]}"
    client = dynamodb_client(settings)
    client.create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "user_id", "AttributeType": "N"},
            {"AttributeName": "tweet_id", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "tweet_id", "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        client.get_waiter("table_exists").wait(
            TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
        args = ["put", "--endpoint", settings.dynamodb_endpoint, "--table", table, "--threads", "8"]
        ops = _run_processes(args, seconds, processes)
        return Ceiling(ops, f"boto3 PutItem x{processes} processes x 8 threads")
    finally:
        client.delete_table(TableName=table)


def _redis_benchmark(host: str, port: int, key: str, seconds: float) -> float:
    # Sized to last roughly `seconds` on a laptop; the rate is what it reports, not the count.
    requests = str(int(200_000 * seconds))
    command = [
        "redis-benchmark", "-h", host, "-p", str(port), "-n", requests,
        "-P", "64", "-c", "8", "-r", str(_FEED_MEMBERS), "--csv",
        "zadd", key, "__rand_int__", "member:__rand_int__",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    return float(rows[-1]["rps"])


def _run_processes(args: list[str], seconds: float, processes: int) -> float:
    command = [sys.executable, "-m", "loadtests.ceilings", *args, "--seconds", str(seconds)]
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    total = 0.0
    for process in running:
        out, err = process.communicate(timeout=seconds + 60)
        if process.returncode != 0:
            raise RuntimeError(f"ceiling process failed: {err.strip().splitlines()[-1:]}")
        result = json.loads(out)
        total += result["ops"] / result["elapsed_s"]
    return total


def _zadd_loop(url: str, key: str, seconds: float) -> dict[str, float]:
    import redis

    client = redis.Redis.from_url(url)
    ops, started, score = 0, time.monotonic(), 0
    while time.monotonic() - started < seconds:
        with client.pipeline(transaction=False) as pipe:
            for _ in range(1000):
                score += 1
                pipe.zadd(key, {f"member:{score % _FEED_MEMBERS}": score})
            pipe.execute()
        ops += 1000
    return {"ops": ops, "elapsed_s": time.monotonic() - started}


def _put_loop(endpoint: str, table: str, seconds: float, threads: int) -> dict[str, float]:
    import boto3
    from botocore.config import Config

    from stack.clients import DYNAMODB_LOCAL_KEYS

    client: Any = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(max_pool_connections=threads, retries={"max_attempts": 1}),
        **DYNAMODB_LOCAL_KEYS,
    )
    counts = [0] * threads
    started = time.monotonic()
    base = uuid.uuid4().int % 1_000_000

    def put(index: int) -> None:
        n = 0
        while time.monotonic() - started < seconds:
            n += 1
            client.put_item(
                TableName=table,
                Item={
                    "user_id": {"N": str(base + index)},
                    "tweet_id": {"N": str(n)},
                    "text": {"S": "benchmark " * 20},
                    "created_at": {"S": "2024-01-01T00:00:00Z"},
                    "like_count": {"N": "0"},
                },
            )
            counts[index] = n

    workers = [threading.Thread(target=put, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"ops": sum(counts), "elapsed_s": time.monotonic() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.ceilings")
    sub = parser.add_subparsers(dest="what", required=True)
    zadd = sub.add_parser("zadd")
    zadd.add_argument("--url", required=True)
    zadd.add_argument("--key", required=True)
    put = sub.add_parser("put")
    put.add_argument("--endpoint", required=True)
    put.add_argument("--table", required=True)
    put.add_argument("--threads", type=int, default=8)
    for command in (zadd, put):
        command.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    if args.what == "zadd":
        result = _zadd_loop(args.url, args.key, args.seconds)
    else:
        result = _put_loop(args.endpoint, args.table, args.seconds, args.threads)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
