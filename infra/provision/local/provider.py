"""The local provider: run every component as a process on this machine.

`up` checks ports, prepares and starts what is not running (in parallel),
waits for each to pass its probe, then creates the stack's schema.
`down` stops by recorded pid. `status` reports each component.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

import chirp.stack.schema as schema_package
from chirp.core.errors import ComponentFailed, ConfigError, PortInUse
from chirp.core.observe import Alert, AlertHistory
from chirp.core.settings import Settings
from chirp.infra.provision.local import alert_history as history
from chirp.infra.provision.local import edgestats, ownership, ports, process, stackproc, topology
from chirp.infra.provision.local.component import Component
from chirp.infra.provision.local.dynamodb import DynamoDBServer
from chirp.infra.provision.local.edge import Edge, EdgeExporter
from chirp.infra.provision.local.env import settings_env
from chirp.infra.provision.local.exporters import PostgresExporter, RedisExporter
from chirp.infra.provision.local.figures import Figures, collect
from chirp.infra.provision.local.haproxy import HAProxy
from chirp.infra.provision.local.kafka import KafkaServer
from chirp.infra.provision.local.objectstore import ObjectStore
from chirp.infra.provision.local.opensearch import OpenSearchServer
from chirp.infra.provision.local.postgres import node_names, postgres_nodes
from chirp.infra.provision.local.prometheus import PrometheusServer, ScrapeTarget
from chirp.infra.provision.local.redis import redis_nodes
from chirp.infra.provision.local.roles import NodeRole, node_roles
from chirp.infra.provision.local.sentinel import sentinels
from chirp.stack import secrets

StatusCallback = Callable[[str, str], None]
"""Called with (component name, what it is doing now)."""

_PROBE_INTERVAL_S = 0.5


def data_components(settings: Settings) -> list[Component]:
    """The five data servers with their replicas and Sentinels, in the order they are shown."""
    settings = topology.with_recorded_shape(settings)
    return [
        KafkaServer(settings),
        *redis_nodes(settings),
        *sentinels(settings),
        DynamoDBServer(settings),
        *postgres_nodes(settings),
        OpenSearchServer(settings),
        ObjectStore(settings),
    ]


def app_components(settings: Settings) -> list[Component]:
    """The relay, the workers and the gateways: the stack's own processes."""
    # They learn the PostgreSQL nodes from their settings: give them the recorded count.
    settings = topology.with_recorded_shape(settings)
    return [*stackproc.workers(settings), *stackproc.gateways(settings, gateway_count(settings))]


def balancer(settings: Settings) -> HAProxy:
    ports = [g.port for g in stackproc.gateways(settings, gateway_count(settings))]
    return HAProxy(settings, backends=ports)


def components(settings: Settings) -> list[Component]:
    """Everything `up` starts, in the order `status` shows it."""
    return [
        *data_components(settings),
        *app_components(settings),
        balancer(settings),
        Edge(settings),
        *monitoring_components(settings),
    ]


def gateway_count(settings: Settings) -> int:
    """The gateways of the running stack (as `up --gateways` chose), else the setting."""
    return topology.recorded_count(settings, "gateways", settings.gateways)


def record_topology(
    settings: Settings,
    gateways: int,
    prometheus: bool | None = None,
    pg_replicas: int | None = None,
    profile: str | None = None,
) -> None:
    """Remember the gateway and PostgreSQL replica counts, unless a running process would
    be orphaned by the change, whether Prometheus runs and the settings profile (None keeps
    the recorded choice)."""
    if (
        profile is not None
        and topology.check_profile(profile) != topology.recorded_profile(settings)
        and any(running(c) for c in app_components(settings))
    ):
        raise ConfigError(
            f"the stack runs the {topology.recorded_profile(settings)!r} profile; "
            f"`chirp down` first to change to {profile!r}"
        )
    current = gateway_count(settings)
    if gateways != current and any(running(g) for g in stackproc.gateways(settings, current)):
        raise ConfigError(
            f"the stack runs {current} gateways; `chirp down` first to change to {gateways}"
        )
    replicas = topology.pg_replica_count(settings)
    changing = pg_replicas is not None and pg_replicas != replicas
    if changing and any(running(node) for node in postgres_nodes(settings)):
        raise ConfigError(
            f"the stack runs {replicas} PostgreSQL replicas; "
            f"`chirp down` first to change to {pg_replicas}"
        )
    primary = topology.postgres_primary_node(settings)
    if pg_replicas is not None and primary not in node_names(settings, pg_replicas):
        raise ConfigError(
            f"{primary} is the PostgreSQL primary; `chirp failover postgres --to postgres` "
            f"before going down to {pg_replicas} replicas"
        )
    if prometheus is None:
        prometheus = prometheus_enabled(settings)
    topology.update(
        settings,
        gateways=gateways,
        prometheus=prometheus,
        pg_replicas=replicas if pg_replicas is None else pg_replicas,
        profile=profile,
    )


def find(settings: Settings, name: str) -> Component:
    by_name = {c.name: c for c in components(settings)}
    if name not in by_name:
        raise ConfigError(
            f"no component named {name!r}; choose one of: {', '.join(sorted(by_name))}"
        )
    return by_name[name]


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    state: str
    pid: int | None
    ports: list[int]
    uptime_s: float | None
    rss_mb: float | None
    endpoint: str
    role: str | None = None
    """primary or replica, for the PostgreSQL and Redis nodes that answer."""
    replication: dict[str, object] | None = None
    """A replica's lag behind its primary (bytes and seconds for PostgreSQL)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "pid": self.pid,
            "ports": self.ports,
            "uptime_s": None if self.uptime_s is None else round(self.uptime_s, 1),
            "rss_mb": None if self.rss_mb is None else round(self.rss_mb, 1),
            "endpoint": self.endpoint,
            "role": self.role,
            "replication": self.replication,
        }


def running(component: Component) -> process.ProcessRecord | None:
    record = process.read_record(component.pid_file)
    return record if record and record.alive() else None


def check_ports(to_start: list[Component]) -> None:
    """Raise PortInUse for the first port a component about to start cannot bind."""
    for component in to_start:
        for port in component.ports():
            if not ports.is_free(component.settings.host, port.number):
                raise PortInUse(port.number, port.env_var, ports.holder(port.number))


def up(
    settings: Settings,
    on_status: StatusCallback,
    gateways: int | None = None,
    prometheus: bool | None = None,
    pg_replicas: int | None = None,
    profile: str | None = None,
) -> list[str]:
    """Start every component that is not running; returns the names it started.

    Data servers first (in parallel), then the schema, then the stack's processes
    (in parallel), then the load balancer in front of the gateways, with Prometheus
    and its exporters unless `prometheus` is False. The first `up` in a run directory
    also makes the stack's passwords there.
    """
    claim_run_dir(settings)
    secrets.ensure(settings)
    record_topology(settings, gateways or gateway_count(settings), prometheus, pg_replicas, profile)
    stages = [
        data_components(settings),
        app_components(settings),
        [balancer(settings), Edge(settings), *monitoring_components(settings)],
    ]
    to_start = [c for stage in stages for c in stage if running(c) is None]
    for component in components(settings):
        if running(component) is not None:
            on_status(component.name, "already running")
    check_ports(to_start)
    started: list[str] = []
    for number, stage in enumerate(stages):
        pending = [c for c in stage if c in to_start]
        _start_all(pending, on_status)
        started += [c.name for c in pending]
        if number == 0:
            ensure_schema(settings, on_status, data_started=bool(pending))
    return started


def _start_all(pending: list[Component], on_status: StatusCallback) -> None:
    if not pending:
        return
    with ThreadPoolExecutor(max_workers=len(pending)) as pool:
        futures = [pool.submit(start_component, c, on_status) for c in pending]
        errors = [f.exception() for f in futures]
    failed = [e for e in errors if e is not None]
    if failed:
        raise failed[0]


def start_component(component: Component, on_status: StatusCallback) -> None:
    """Prepare, spawn and wait for one component (its ports must be free)."""
    on_status(component.name, "preparing")
    component.prepare()
    on_status(component.name, "starting")
    process.spawn(
        component.command(),
        log_file=component.log_file,
        pid_file=component.pid_file,
        cwd=component.home,
        env=component.env(),
        user=component.os_user,
    )
    wait_ready(component, on_status)
    component.after_start()
    on_status(component.name, "ready")


def wait_ready(component: Component, on_status: StatusCallback) -> None:
    """Probe until the component answers; fail with its log tail on exit or timeout."""
    deadline = time.monotonic() + component.settings.start_timeout_s
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if running(component) is None:
            raise ComponentFailed(
                component.name,
                f"the process exited during start; see {component.log_file}",
                component.log_tail(),
            )
        try:
            component.probe()
            return
        except Exception as error:  # any client error means "not ready yet"
            last_error = str(error).splitlines()[0] if str(error) else type(error).__name__
        on_status(component.name, "waiting for probe")
        time.sleep(_PROBE_INTERVAL_S)
    raise ComponentFailed(
        component.name,
        f"not ready after {component.settings.start_timeout_s:.0f}s ({last_error}); "
        f"see {component.log_file}",
        component.log_tail(),
    )


def ensure_schema(settings: Settings, on_status: StatusCallback, data_started: bool) -> None:
    """Run the bootstrap unless these running data servers already have this exact schema.

    A restarted gateway or worker then comes back without the bootstrap's round trips; a
    started data server, a changed schema file or a changed setting runs it again.
    """
    marker = settings.run_dir / "schema.fingerprint"
    fingerprint = schema_fingerprint(settings)
    if not data_started and marker.is_file() and marker.read_text() == fingerprint:
        on_status("schema", "ready")
        return
    marker.unlink(missing_ok=True)
    bootstrap(settings, on_status)
    marker.write_text(fingerprint)


def schema_fingerprint(settings: Settings) -> str:
    """A digest of what the bootstrap creates: the schema modules, migrations and settings."""
    digest = hashlib.sha256(settings.model_dump_json().encode())
    sources = Path(schema_package.__file__).parent
    for path in sorted([*sources.rglob("*.py"), *sources.rglob("*.sql")]):
        digest.update(path.read_bytes())
    digest.update((sources.parent / "bootstrap.py").read_bytes())
    return digest.hexdigest()


def bootstrap(settings: Settings, on_status: StatusCallback) -> None:
    """Create the stack's schema, tables, topics and indices (idempotent), by command."""
    on_status("schema", "creating")
    log_file = settings.run_dir.resolve() / "logs" / "bootstrap.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a") as log:
        result = subprocess.run(
            [sys.executable, "-m", "chirp.stack.bootstrap"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=settings_env(settings),
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        tail = log_file.read_text(errors="replace").strip().splitlines()[-1:]
        raise ComponentFailed("schema", f"{' '.join(tail)} (see {log_file})")
    on_status("schema", "ready")


def down(settings: Settings, on_status: StatusCallback) -> list[str]:
    """Stop every recorded process, front to back; returns the names that were running.

    The balancer and gateways go first, then the workers (which commit and leave their
    groups while Kafka is still there), then the data servers.
    """
    # The Sentinels go before the Redis nodes, so none of them takes a planned stop
    # for a failure and promotes the replica on the way down.
    watchers = sentinels(settings)
    watcher_names = {w.name for w in watchers}
    stages = [
        [balancer(settings), Edge(settings), *monitoring_components(settings)],
        app_components(settings),
        watchers,
        [c for c in data_components(settings) if c.name not in watcher_names],
    ]
    stopped: list[str] = []
    for stage in stages:
        stopped += _stop_all(settings, stage, on_status)
    return stopped


def _stop_all(settings: Settings, targets: list[Component], on_status: StatusCallback) -> list[str]:
    if not targets:
        return []

    def stop_one(component: Component) -> bool:
        on_status(component.name, "stopping")
        stopped = process.stop(
            component.pid_file, grace_s=settings.stop_grace_s, sig=component.stop_signal
        )
        on_status(component.name, "stopped" if stopped else "was not running")
        return stopped

    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        results = list(pool.map(stop_one, targets))
    return [c.name for c, was in zip(targets, results, strict=True) if was]


def _purge_candidates(settings: Settings) -> list[Path]:
    run_dir = settings.run_dir.resolve()
    return [c.home for c in [*components(settings), *_monitoring(settings)]] + [
        run_dir / "logs",
        settings.traces_dir.resolve(),
        topology.topology_file(settings),
        secrets.secrets_file(settings),
    ]


def claim_run_dir(settings: Settings) -> None:
    """Record what chirp is about to make in the run directory (what purge may delete)."""
    ownership.claim(settings, _purge_candidates(settings))


def purge_targets(settings: Settings) -> list[Path]:
    """What `down --purge` deletes: every component's data, the logs, the traces and the
    secrets, where chirp made them (a ConfigError when chirp recorded none here)."""
    owned = set(ownership.owned_paths(settings))
    candidates = [p.resolve() for p in _purge_candidates(settings)]
    return [p for p in dict.fromkeys(candidates) if p in owned and p.exists()]


def purge(settings: Settings) -> list[Path]:
    """Delete what `purge_targets` lists, unless a server still listens on a chirp port.

    A listener there after `down` is a process chirp no longer knows by its pid file;
    deleting the data under it would lose data and leave the process running.
    """
    try:
        check_ports(components(settings))
    except PortInUse as held:
        by = f" by {held.holder}" if held.holder else ""
        raise ConfigError(
            f"nothing deleted: port {held.port} is still held{by}; stop that process by its "
            "pid, then run `chirp down --purge` again"
        ) from held
    targets = purge_targets(settings)
    for path in targets:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    ownership.forget(settings)
    return targets


def status(settings: Settings) -> list[ComponentStatus]:
    roles = node_roles(topology.with_recorded_shape(settings))
    return [_status_of(c, roles.get(c.name)) for c in components(settings)]


def _status_of(component: Component, role: NodeRole | None = None) -> ComponentStatus:
    record = running(component)
    proc = record.process() if record else None
    rss = None
    if proc is not None:
        try:
            family = [proc, *proc.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in family) / 2**20
        except Exception:  # a child that exits while we look is not an error
            rss = None
    return ComponentStatus(
        name=component.name,
        state="up" if record else "down",
        pid=record.pid if record else None,
        ports=[p.number for p in component.ports()],
        uptime_s=process.uptime_s(record) if record else None,
        rss_mb=rss,
        endpoint=component.endpoint(),
        role=role.role if role and record else None,
        replication=role.replication if role and record else None,
    )


def figures(settings: Settings) -> Figures:
    """Consumer lag, feed cache hit rate and feed p99 of the running stack."""
    found = collect(settings.host, scrape_targets(settings))
    counters = edgestats.read_counters(Edge(settings).work_dir)
    found.edge_hit_ratio = counters.hit_ratio if counters else None
    return found


# Monitoring: Prometheus and the exporters it scrapes.


def prometheus_enabled(settings: Settings) -> bool:
    """Whether `up` runs Prometheus (as `up --prometheus/--no-prometheus` chose; on by default)."""
    return bool(topology.read(settings).get("prometheus", True))


def scrape_targets(settings: Settings) -> list[ScrapeTarget]:
    """Every /metrics endpoint of the stack's own processes: gateways, the relay, the workers."""
    gateways = stackproc.gateways(settings, gateway_count(settings))
    targets = [ScrapeTarget("gateway", g.name, g.port) for g in gateways]
    for worker in stackproc.workers(settings):
        job = "relay" if worker.role == "relay" else "worker"
        targets.append(ScrapeTarget(job, worker.name, worker.port))
    return targets


def _monitoring(settings: Settings) -> list[Component]:
    redis, postgres = RedisExporter(settings), PostgresExporter(settings)
    edge = EdgeExporter(settings)
    targets = [
        *scrape_targets(settings),
        ScrapeTarget("redis", redis.name, settings.redis_exporter_port),
        ScrapeTarget("postgres", postgres.name, settings.postgres_exporter_port),
        ScrapeTarget("edge", edge.name, settings.edge_exporter_port),
    ]
    return [redis, postgres, edge, PrometheusServer(settings, targets=targets)]


def monitoring_components(settings: Settings) -> list[Component]:
    """Prometheus and its exporters when enabled, or while one still runs (so down stops it)."""
    enabled = prometheus_enabled(settings)
    return [c for c in _monitoring(settings) if enabled or running(c) is not None]


def alerts(settings: Settings) -> list[Alert] | None:
    """Pending and firing alerts of this stack's Prometheus; None when it does not run or answer."""
    server = PrometheusServer(settings)
    if running(server) is None:
        return None
    try:
        return server.alerts()
    except (OSError, ValueError, KeyError, HTTPException):
        return None


def alert_history(settings: Settings, start: float, end: float) -> AlertHistory:
    """The alerts that fired in [start, end] (epoch seconds) and the link to that range in
    this stack's Prometheus; a note instead of alerts when it does not run or answer."""
    server = PrometheusServer(settings)
    if running(server) is None:
        return AlertHistory(
            alerts=None,
            prometheus_url=None,
            note="Prometheus is not running (chirp up --prometheus); no alert history",
        )
    link = history.graph_url(settings, start, end, history.RUN_GRAPHS)
    try:
        return AlertHistory(alerts=history.fired_alerts(settings, start, end), prometheus_url=link)
    except (OSError, ValueError, KeyError, HTTPException) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return AlertHistory(
            alerts=None,
            prometheus_url=link,
            note=f"Prometheus at {server.url} did not answer the alert history query ({reason})",
        )
