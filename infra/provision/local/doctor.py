"""What this machine lacks to run the local stack, and how each gap is fixed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from chirp.core.errors import ChirpError
from chirp.core.settings import Settings
from chirp.infra.provision.local import jars, weed
from chirp.infra.provision.local import ports as port_probe
from chirp.infra.provision.local.component import Port, Problem
from chirp.infra.provision.local.jvm import JvmComponent
from chirp.infra.provision.local.provider import components, running

MIN_FREE_MEMORY_GB = 4.0
MIN_FREE_DISK_GB = 5.0
_APT_PACKAGES = {
    "redis-server": "redis-server",
    "postgresql server": "postgresql",
    "OS user postgres": "postgresql",
    "mvn (to fetch server jars)": "maven",
    "haproxy": "haproxy",
    "prometheus": "prometheus",
    "prometheus-redis-exporter": "prometheus-redis-exporter",
    "prometheus-postgres-exporter": "prometheus-postgres-exporter",
    "varnishd": "varnish",
    "prometheus-varnish-exporter": "prometheus-varnish-exporter",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(settings: Settings, *, ports: bool = True) -> list[Check]:
    checks: list[Check] = []
    for component in components(settings):
        problems = component.problems()
        detail = "ready to run"
        if isinstance(component, JvmComponent) and not problems:
            detail = f"runs on {component.java_info()}"
        checks.append(
            Check(
                component.name,
                not problems,
                "; ".join(p.what + " missing" for p in problems) or detail,
                " && ".join(dict.fromkeys(p.fix for p in problems)),
            )
        )
        if ports and running(component) is None:
            checks.extend(_port_checks(settings, component.ports()))
    checks.append(_memory_check())
    checks.append(_disk_check(settings))
    return checks


def _port_checks(settings: Settings, needed: list[Port]) -> list[Check]:
    result = []
    for port in needed:
        if port_probe.is_free(settings.host, port.number):
            continue
        who = port_probe.holder(port.number) or "another process"
        result.append(
            Check(
                f"port {port.number}",
                False,
                f"held by {who}",
                f"stop it, or export {port.env_var}=<free port>",
            )
        )
    return result


def _memory_check() -> Check:
    free_gb = psutil.virtual_memory().available / 2**30
    return Check(
        "memory",
        free_gb >= MIN_FREE_MEMORY_GB,
        f"{free_gb:.1f} GiB available (the data tier needs about 3 GiB)",
        "" if free_gb >= MIN_FREE_MEMORY_GB else "free memory or lower CHIRP_*_HEAP_MB",
    )


def _disk_check(settings: Settings) -> Check:
    target = settings.run_dir.resolve()
    while not target.exists():
        target = target.parent
    free_gb = shutil.disk_usage(target).free / 2**30
    return Check(
        "disk",
        free_gb >= MIN_FREE_DISK_GB,
        f"{free_gb:.1f} GiB free under {target}",
        "" if free_gb >= MIN_FREE_DISK_GB else "free disk space or set CHIRP_RUN_DIR elsewhere",
    )


def fix(settings: Settings, on_step: Callable[[str], None]) -> None:
    """Install what is missing: Debian packages (as root), the JVM servers' jars and the
    SeaweedFS binary."""
    problems: list[Problem] = [p for c in components(settings) for p in c.problems()]
    packages = sorted({_APT_PACKAGES[p.what] for p in problems if p.what in _APT_PACKAGES})
    if any("Java" in p.what for p in problems):
        packages.append("openjdk-17-jre-headless")
    if packages:
        if os.geteuid() != 0:
            raise ChirpError(
                f"run as root, or install yourself: apt-get install -y {' '.join(packages)}"
            )
        on_step(f"apt-get install {' '.join(packages)}")
        _apt_install(packages)
    for component in components(settings):
        if isinstance(component, JvmComponent):
            on_step(f"resolving {component.name} {component.version} jars")
            jars.ensure(settings.cache_dir, component.name, component.version)
    if not weed.is_built(settings.cache_dir):
        on_step(
            f"building SeaweedFS {weed.version()} with Go (once; minutes, a few GB of Go caches)"
        )
        weed.ensure(settings.cache_dir)


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
            raise ChirpError(f"{' '.join(argv)} failed: {' '.join(tail)}")
