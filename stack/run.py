"""Run one stack process by role: `python -m chirp.stack.run gateway --port 8101`, `... fanout`.

This is the only way infra/ starts stack code: by command, never by import.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from prometheus_client import start_http_server

from chirp.core.settings import Settings, get_settings
from chirp.stack import tracing

# Worker role → module with `build_handler(settings) -> Handler`. The relay is not a
# consumer; it has a loop of its own.
WORKER_MODULES = {
    "fanout": "chirp.stack.feed.worker",
    "search-indexer": "chirp.stack.search.indexer",
    "trending": "chirp.stack.trending.worker",
    "notify": "chirp.stack.notify.worker",
    "analytics": "chirp.stack.analytics.worker",
    "edge-purger": "chirp.stack.edge.worker",
}
ROLES = ("relay", *WORKER_MODULES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chirp.stack.run")
    parser.add_argument("role", choices=("gateway", *ROLES))
    parser.add_argument("--port", type=int, required=True, help="HTTP port (API or metrics)")
    parser.add_argument("--services", default="all", help="gateway: comma-separated routers")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = get_settings()
    service = f"gateway-{settings.node_id}" if args.role == "gateway" else args.role
    tracing.install(settings, service)
    if args.role == "gateway":
        return _run_gateway(settings, args.port, args.services)
    if args.role == "relay":
        from chirp.stack.relay.loop import run_relay

        start_http_server(args.port, addr=settings.host)
        run_relay(settings)
        return 0
    from chirp.stack.workers.runtime import Worker

    # Built before the metrics port opens, so a worker that cannot start fails its probe.
    module = importlib.import_module(WORKER_MODULES[args.role])
    worker = Worker(module.build_handler(settings), settings)
    worker.install_signal_handlers()
    start_http_server(args.port, addr=settings.host)
    worker.run()
    return 0


def _run_gateway(settings: Settings, port: int, services: str) -> int:
    import uvicorn

    from chirp.stack.gateway.app import create_app

    chosen = None if services == "all" else [s.strip() for s in services.split(",") if s.strip()]
    uvicorn.run(
        create_app(settings, services=chosen),
        host=settings.host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        # Whom to believe about the client's address is the gateway's call (trusted_proxies).
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
