"""One Locust user class per journey, and the per-run subclasses a plan asks for.

Importing this package imports Locust, which monkey-patches the process with gevent:
only the load commands (and the worker processes) do.
"""

from __future__ import annotations

from chirp.loadtests.journeys.base import ChirpUser, RateLimited, UnexpectedStatus
from chirp.loadtests.journeys.ceiling import CeilingProbe
from chirp.loadtests.journeys.engagers import Engager
from chirp.loadtests.journeys.feed_readers import FeedReader
from chirp.loadtests.journeys.media import MediaUser
from chirp.loadtests.journeys.posters import CelebrityPoster, Poster
from chirp.loadtests.journeys.searchers import Searcher
from chirp.loadtests.journeys.timeline_readers import TimelineReader
from chirp.loadtests.journeys.trending_viewers import TrendingViewer
from chirp.loadtests.plan import LoadPlan

JOURNEYS: dict[str, type[ChirpUser]] = {
    "feed": FeedReader,
    "timeline": TimelineReader,
    "post": Poster,
    "celebrity_post": CelebrityPoster,
    "engage": Engager,
    "search": Searcher,
    "trending": TrendingViewer,
    "ceiling": CeilingProbe,
    "media": MediaUser,
}


def user_classes(plan: LoadPlan) -> dict[str, type[ChirpUser]]:
    """A concrete user class per journey of `plan`, named after the journey, so the master
    and every worker build identical classes from the same plan."""
    classes: dict[str, type[ChirpUser]] = {}
    for journey in plan.journeys:
        base = JOURNEYS[journey.journey]
        attrs = {
            "abstract": False,
            "weight": max(1, round(journey.weight * 1000)),
            "fixed_count": journey.users,
            "fraction": journey.fraction,
            "host": plan.host,
            "__module__": base.__module__,
        }
        classes[journey.journey] = type(f"{base.__name__}_{journey.journey}", (base,), attrs)
    return classes


__all__ = [
    "JOURNEYS",
    "CeilingProbe",
    "CelebrityPoster",
    "ChirpUser",
    "Engager",
    "FeedReader",
    "Poster",
    "RateLimited",
    "Searcher",
    "TimelineReader",
    "TrendingViewer",
    "UnexpectedStatus",
    "user_classes",
]
