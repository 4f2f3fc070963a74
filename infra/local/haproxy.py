"""HAProxy from the Debian package: the load balancer in front of the gateways."""

from __future__ import annotations

import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from infra.local.component import Component, Port, Problem


@dataclass
class HAProxy(Component):
    name: ClassVar[str] = "haproxy"
    backends: list[int] = field(default_factory=list)

    def ports(self) -> list[Port]:
        return [
            Port(self.settings.lb_port, "lb_port"),
            Port(self.settings.lb_stats_port, "lb_stats_port"),
        ]

    def problems(self) -> list[Problem]:
        return [] if shutil.which("haproxy") else [Problem("haproxy", "apt-get install -y haproxy")]

    @property
    def config_file(self) -> Path:
        return self.home / "haproxy.cfg"

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(
            render_config(
                self.settings.host,
                self.settings.lb_port,
                self.settings.lb_stats_port,
                self.backends,
            )
        )

    def command(self) -> list[str]:
        # -db: stay in the foreground, so the recorded pid is the proxy itself.
        return [shutil.which("haproxy") or "haproxy", "-db", "-f", str(self.config_file)]

    def probe(self) -> None:
        url = f"http://{self.settings.host}:{self.settings.lb_port}/readyz"
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{url} answered {answer.status}")


def render_config(host: str, port: int, stats_port: int, backends: list[int]) -> str:
    """haproxy.cfg: round robin over the gateways, each checked with GET /readyz every 1 s."""
    servers = "\n".join(
        f"    server gateway-{n} {host}:{backend_port}"
        for n, backend_port in enumerate(backends, start=1)
    )
    return f"""\
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
    # A request that failed to connect is sent to another gateway once.
    retries 1
    option redispatch

frontend api
    bind {host}:{port}
    default_backend gateways

backend gateways
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    # A busy machine may take over a second to answer; `inter` would be the limit.
    timeout check 2s
    default-server check inter 1s fall 2 rise 2
{servers}

listen stats
    bind {host}:{stats_port}
    stats enable
    stats uri /
    stats refresh 2s
"""
