"""Which ports are free (core's helpers), and who holds the ones that are not."""

from __future__ import annotations

import psutil

from chirp.core.ports import free_port, free_range, is_free

__all__ = ["free_port", "free_range", "holder", "is_free"]


def holder(port: int) -> str | None:
    """'name (pid N)' of the process listening on `port`, when this user may see it."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return None
            try:
                return f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
            except psutil.Error:
                return f"pid {conn.pid}"
    return None
