"""Which ports are free: for the providers, the load runner and the tests."""

from __future__ import annotations

import socket


def is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port and we could bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_range(count: int, host: str = "127.0.0.1", low: int = 20_000, high: int = 32_000) -> int:
    """The first port of `count` consecutive ports that are all free right now.

    The default range stays below Linux's ephemeral ports (32768 and up), so an outgoing
    connection cannot take a port between this check and the server binding it."""
    import random

    for _ in range(200):
        base = random.randrange(low, high - count)
        if all(is_free(host, base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports between {low} and {high}")
