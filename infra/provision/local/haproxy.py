"""HAProxy from the Debian package: the load balancer in front of the gateways.

It is the stack's edge, so it also refuses what no client should get through: /metrics
(Prometheus reads each gateway on its own port), a client IP over its request rate or
open connections (429), and a client too slow to send its request headers (408). It
names the client to the gateways in X-Forwarded-For, replacing whatever the client sent.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from chirp.core import components
from chirp.core.settings import Settings
from chirp.infra.provision.local.component import Component, Port, Problem


@dataclass
class HAProxy(Component):
    name: ClassVar[str] = components.HAPROXY
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
        self.config_file.write_text(render_config(self.settings, self.backends))

    def command(self) -> list[str]:
        # -db: stay in the foreground, so the recorded pid is the proxy itself.
        return [shutil.which("haproxy") or "haproxy", "-db", "-f", str(self.config_file)]

    def probe(self) -> None:
        url = f"http://{self.settings.host}:{self.settings.lb_port}/readyz"
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{url} answered {answer.status}")


def _refusal(status: int, code: str, message: str, condition: str, retry_after: int = 0) -> str:
    """An `http-request deny` answering the API's JSON error shape."""
    body = json.dumps({"error": {"code": code, "message": message}})
    header = f" hdr Retry-After {retry_after}" if retry_after else ""
    return (
        f"    http-request deny deny_status {status} content-type application/json "
        f"string '{body}'{header} if {condition}\n"
    )


def render_config(settings: Settings, backends: list[int]) -> str:
    """haproxy.cfg: round robin over the gateways, each checked with GET /readyz every 1 s;
    per-client-IP limits, the slow-client timeout and /metrics refused at the front."""
    host = settings.host
    servers = "\n".join(
        f"    server gateway-{n} {host}:{backend_port}"
        for n, backend_port in enumerate(backends, start=1)
    )
    period = settings.lb_ip_period_s
    refusals = (
        _refusal(404, "not_found", "Not Found", "{ path,url_dec -m reg ^/+metrics(/|$) }")
        + _refusal(
            429,
            "rate_limited",
            f"more than {settings.lb_ip_requests} requests in {period}s from this address",
            f"{{ sc_http_req_rate(0) gt {settings.lb_ip_requests} }}",
            retry_after=period,
        )
        + _refusal(
            429,
            "rate_limited",
            f"more than {settings.lb_ip_connections} open connections from this address",
            f"{{ sc_conn_cur(0) gt {settings.lb_ip_connections} }}",
            retry_after=1,
        )
    )
    return f"""\
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A client that has not sent its whole request head by then gets 408 (slowloris).
    timeout http-request {settings.lb_request_timeout_s}s
    # An idle kept-alive connection stays as long as before (else it would inherit the above).
    timeout http-keep-alive 30s
    option http-keep-alive
    # A request that failed to connect is sent to another gateway once.
    retries 1
    option redispatch

frontend api
    bind {host}:{settings.lb_port}
    # Per client address: open connections and requests over the last period.
    stick-table type ipv6 size 100k expire {period}s store conn_cur,http_req_rate({period}s)
    tcp-request connection track-sc0 src
{refusals}\
    # The gateways trust X-Forwarded-For from here only: the client's own is dropped.
    http-request del-header X-Forwarded-For
    option forwardfor
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
    bind {host}:{settings.lb_stats_port}
    stats enable
    stats uri /
    stats refresh 2s
"""
