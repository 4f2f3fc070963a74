"""Extra gateway processes on the session stack, started as `python -m stack.run gateway`
(as the local provider and the AWS tasks start them), for tests that need their own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from chirp.infra.provision.local.ports import free_port
from tests.api import eventually
from tests.stackenv import StackEnv

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Gateway:
    url: str
    pid: int


@contextmanager
def gateways(stack: StackEnv, count: int, **env: str) -> Iterator[list[Gateway]]:
    """`count` gateway processes without CHIRP_NODE_ID, once each is ready."""
    base_env = {k: v for k, v in stack.env.items() if k != "CHIRP_NODE_ID"}
    base_env.update({"CHIRP_TWEETS_PER_HOUR": "100000", **env})
    ports = [free_port() for _ in range(count)]
    logs = [(stack.run_dir / f"extra-gateway-{port}.log").open("wb") for port in ports]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "chirp.stack.run", "gateway", "--port", str(port)],
            env=base_env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, processes, strict=True):
            eventually(
                lambda url=url, process=process: _ready(url, process),
                timeout_s=120,
                what=f"gateway {url} ready",
            )
        yield [Gateway(url, p.pid) for url, p in zip(urls, processes, strict=True)]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for log in logs:
            log.close()


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, f"gateway {url} exited with {process.returncode}"
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
