"""A generator worker process: `python -m loadtests.worker --master-port P --plan FILE`.

Started by `chirp load --workers N` and `chirp bench` (never by hand), it runs Locust's
WorkerRunner with the plan's user classes and sends the master its recorder every second
and once more, marked final, when a phase stops.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from loadtests.greenlets import patch_process

STATS_MESSAGE = "chirp_stats"
PHASE_MESSAGE = "chirp_phase"
_SEND_EVERY_S = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.worker")
    parser.add_argument("--master-port", type=int, required=True)
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--plan", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    patch_process()

    import gevent
    from locust.env import Environment

    from loadtests import hooks
    from loadtests.context import configure
    from loadtests.journeys import user_classes
    from loadtests.plan import LoadPlan

    plan = LoadPlan.from_json(args.plan.read_text(encoding="utf-8"))
    ctx = configure(plan)
    env = Environment(user_classes=list(user_classes(plan).values()), host=plan.host)
    env.events.request.add_listener(hooks.on_request)
    runner = env.create_worker_runner(args.master_host, args.master_port)

    def send(final: bool) -> None:
        runner.send_message(STATS_MESSAGE, hooks.stats_message(final))

    def on_phase(environment: Environment, msg: object, **_: object) -> None:
        data = msg.data  # type: ignore[attr-defined]
        stages = data.get("rate_stages")
        ctx.start_phase(
            int(data["phase"]),
            [tuple(s) for s in stages] if stages else None,
            data.get("user_fraction"),
        )

    def on_test_stop(**_: object) -> None:
        ctx.close_schedules()
        send(final=True)

    def keep_sending() -> None:
        while True:
            gevent.sleep(_SEND_EVERY_S)
            send(final=False)

    runner.register_message(PHASE_MESSAGE, on_phase)
    env.events.test_stop.add_listener(on_test_stop)
    gevent.spawn(keep_sending)
    runner.greenlet.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
