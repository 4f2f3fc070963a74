"""chirp's journeys for plain Locust: `locust -f loadtests/locustfile.py` against a running stack.

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8080          # web UI on :8089
    CHIRP_LOAD_SCENARIO=timeline-mix locust -f loadtests/locustfile.py --headless -u 20 -t 1m

The scenario's journeys and mix become Locust user classes (weights by the mix, think
times from the scenario), acting as the users `chirp seed` wrote to the run directory's
population file. Locust's own UI and statistics apply; the SLO verdicts, the open model
and the report are `chirp load`'s (`chirp load SCENARIO --web` opens this UI on the same
plan).
"""

from __future__ import annotations

from dataclasses import replace

from chirp.loadtests.greenlets import patch_process

patch_process()

from chirp.core.errors import ChirpError  # noqa: E402
from chirp.core.settings import Settings, get_settings  # noqa: E402
from chirp.loadtests.context import configure  # noqa: E402
from chirp.loadtests.journeys import user_classes  # noqa: E402
from chirp.loadtests.plan import SCENARIO_VARIABLE, JourneyPlan, LoadPlan, plan_scenario  # noqa: E402
from chirp.loadtests.population import population_path  # noqa: E402
from chirp.scenarios import load_scenario  # noqa: E402

DEFAULT_SCENARIO: str = Settings.model_fields["load_scenario"].default


def closed_plan() -> LoadPlan:
    """The scenario named by CHIRP_LOAD_SCENARIO as a closed-model plan: in plain Locust
    the UI, not the scenario, decides how many users run."""
    settings = get_settings()
    scenario = load_scenario(settings.load_scenario)
    host = f"http://{settings.host}:{settings.lb_port}"
    plan = plan_scenario(scenario, host=host, population_path=population_path(settings.run_dir))
    journeys = [JourneyPlan(j.journey, 0, j.weight) for j in plan.journeys]
    think = plan.think_time_s if plan.model == "closed" else (0.5, 1.5)
    return replace(plan, model="closed", journeys=journeys, rate_stages=[], think_time_s=think)


try:
    _plan = closed_plan()
    configure(_plan, None)
except ChirpError as error:  # Locust would print a traceback; one line says what to do
    raise SystemExit(f"chirp: {error}") from None
globals().update({cls.__name__: cls for cls in user_classes(_plan).values()})


__all__ = ["DEFAULT_SCENARIO", "SCENARIO_VARIABLE", "closed_plan"]
