"""The edge: Varnish (Debian's package) in front of the object store and HAProxy, and
Debian's Varnish exporter so Prometheus and `chirp status` see its hit ratio.

`varnishd -F` keeps the manager process in the foreground; that is the recorded pid,
and stopping it stops the cache process it runs. Its working directory (-n) is under
the run directory, so stacks never share one.
"""

from __future__ import annotations

import shutil
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from chirp.core import components
from chirp.core.errors import ComponentFailed, MissingDependency
from chirp.infra.provision.local.component import Component, Port, Problem
from chirp.infra.provision.local.exporters import Exporter
from chirp.infra.provision.local.vcl import EdgeConfig, render_vcl


@dataclass
class Edge(Component):
    name: ClassVar[str] = components.EDGE

    def ports(self) -> list[Port]:
        s = self.settings
        return [Port(s.edge_port, "edge_port"), Port(s.edge_admin_port, "edge_admin_port")]

    def problems(self) -> list[Problem]:
        if shutil.which("varnishd"):
            return []
        return [Problem("varnishd", "apt-get install -y varnish")]

    @property
    def vcl_file(self) -> Path:
        return self.home / "edge.vcl"

    @property
    def work_dir(self) -> Path:
        """varnishd's -n: its shared memory log, which varnishstat and varnishadm read."""
        return self.home / "varnish"

    def prepare(self) -> None:
        if self.problems():
            raise MissingDependency("varnishd", "apt-get install -y varnish")
        self.home.mkdir(parents=True, exist_ok=True)
        s = self.settings
        config = EdgeConfig(
            host=s.host,
            api_port=s.lb_port,
            objectstore_host=s.objectstore_host or s.host,
            objectstore_port=s.objectstore_base_port,
            bucket=s.objectstore_bucket,
        )
        self.vcl_file.write_text(render_vcl(config))

    def command(self) -> list[str]:
        s = self.settings
        return [
            shutil.which("varnishd") or "varnishd",
            "-F",
            "-a",
            f"{s.host}:{s.edge_port}",
            "-T",
            f"{s.host}:{s.edge_admin_port}",
            "-n",
            str(self.work_dir),
            "-f",
            str(self.vcl_file),
            "-s",
            f"malloc,{s.edge_cache_mb}m",
            # Run as the user who runs chirp, like every other server here: as root the
            # default jail switches to Debian's varnish user, who cannot read a run
            # directory under a private home.
            "-j",
            "none",
            # Bans are checked against cached objects in the background at once, so a
            # banned object leaves memory instead of waiting for its next request.
            "-p",
            "ban_lurker_sleep=0.1",
        ]

    def endpoint(self) -> str:
        return self.settings.edge_base_url

    def probe(self) -> None:
        url = f"http://{self.settings.host}:{self.settings.edge_port}/media/"
        request = urllib.request.Request(url, method="OPTIONS")
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        except urllib.error.HTTPError as answered:
            if answered.headers.get("X-Cache") is None:
                raise RuntimeError(f"{url} answered without X-Cache") from answered


@dataclass
class EdgeExporter(Exporter):
    """prometheus-varnish-exporter: varnishstat's counters as /metrics."""

    name: ClassVar[str] = components.EDGE_EXPORTER
    binary: ClassVar[str] = "prometheus-varnish-exporter"
    port_setting: ClassVar[str] = "edge_exporter_port"

    def prepare(self) -> None:
        super().prepare()
        _wait_for_shared_memory(Edge(self.settings).work_dir, self.settings.start_timeout_s)

    def command(self) -> list[str]:
        return [
            shutil.which(self.binary) or self.binary,
            f"-web.listen-address={self.listen_address()}",
            "-n",
            str(Edge(self.settings).work_dir),
        ]


def _wait_for_shared_memory(work_dir: Path, timeout_s: float) -> None:
    """The exporter reads varnishd's shared memory and exits when there is none yet: it
    starts beside varnishd, so it waits for the manager to publish it."""
    deadline = time.monotonic() + timeout_s
    while not (work_dir / "_.vsm_mgt").exists():
        if time.monotonic() > deadline:
            raise ComponentFailed("edge-exporter", f"varnishd published nothing in {work_dir}")
        time.sleep(0.2)
