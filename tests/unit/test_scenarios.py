"""Shipped scenarios validate; a bad one fails in one line naming the file and the field."""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

from chirp.core.errors import ScenarioError
from chirp.scenarios import (
    ENDPOINTS,
    Journey,
    available,
    load_scenario,
    parse_scenario,
)
from chirp.scenarios.loader import SHIPPED_DIR

JOURNEYS_DIR = Path(__file__).resolve().parents[2] / "loadtests" / "journeys"

SHIPPED = (
    "smoke",
    "mixed",
    "timeline-mix",
    "write-burst",
    "celebrity-storm",
    "trending-spike",
    "search-heavy",
    "soak",
)

MINIMAL = """
duration_s = 10
[load]
users = 2
spawn_rate = 1
[mix]
feed = 1
"""


def write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_validates(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.total_s > 0
    assert abs(sum(scenario.shares.values()) - 1) < 1e-9


def test_every_file_in_the_folder_is_a_shipped_profile():
    assert set(SHIPPED) <= set(available())
    for path in SHIPPED_DIR.glob("*.toml"):
        parse_scenario(path)


def test_profiles_say_what_they_are():
    smoke = load_scenario("smoke")
    assert smoke.total_s <= 90 and smoke.model == "open"
    assert smoke.shares[Journey.feed] * smoke.peak_rate * (smoke.total_s - smoke.warmup) >= 1_100
    assert smoke.shares[Journey.post] * smoke.peak_rate * (smoke.total_s - smoke.warmup) >= 1_100
    mixed = load_scenario("mixed").shares
    reads = sum(
        mixed.get(j, 0) for j in (Journey.feed, Journey.timeline, Journey.search, Journey.trending)
    )
    assert reads == pytest.approx(0.9)
    assert load_scenario("timeline-mix").shares == {
        Journey.feed: pytest.approx(0.6),
        Journey.timeline: pytest.approx(0.3),
        Journey.post: pytest.approx(0.1),
    }
    assert load_scenario("timeline-mix").model == "open"
    assert Journey.celebrity_post in load_scenario("celebrity-storm").shares
    assert load_scenario("soak").total_s >= 600


def test_a_bad_field_names_the_file_and_the_field(tmp_path):
    path = write(tmp_path, MINIMAL.replace("users = 2", "users = 0"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and "load.users" in message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("[mix]\nfeed = 1", "[mix]\nfeeed = 1"), "mix.feeed"),
        (("duration_s = 10", "duration_s = 10\ncolour = 'red'"), "colour: unknown field"),
        (("duration_s = 10", ""), "duration_s"),
        (("spawn_rate = 1", ""), "load: set users and spawn_rate"),
        (("[mix]\nfeed = 1", "[mix]\nfeed = 0"), "mix"),
    ],
)
def test_each_kind_of_mistake_is_named(tmp_path, change, field):
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(ScenarioError, match=field):
        parse_scenario(path)


def test_stages_must_agree_with_one_model(tmp_path):
    text = """
[mix]
post = 1
[[stages]]
until_s = 10
rate = 5
[[stages]]
until_s = 5
rate = 9
"""
    with pytest.raises(ScenarioError, match=r"stages\[1\]\.until_s"):
        parse_scenario(write(tmp_path, text))
    mixed = text.replace("until_s = 5\nrate = 9", "until_s = 20\nusers = 3\nspawn_rate = 1")
    with pytest.raises(ScenarioError, match=r"stages\[1\]"):
        parse_scenario(write(tmp_path, mixed))


def test_not_toml_and_unknown_names_are_one_line(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario(write(tmp_path, "duration_s = = 3"))
    with pytest.raises(ScenarioError, match=r"no scenario named 'nope'; choose from .*smoke"):
        load_scenario("nope")
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(str(tmp_path / "missing.toml"))


def test_your_own_scenarios_are_found_by_name(tmp_path):
    (tmp_path / "scenarios").mkdir()
    write(tmp_path / "scenarios", MINIMAL, "mine.toml")
    assert load_scenario("mine", cwd=tmp_path).name == "mine"
    assert "smoke" in available(cwd=tmp_path)


def test_overrides_keep_the_shape():
    burst = load_scenario("write-burst")
    stretched = burst.with_overrides(duration_s=burst.total_s * 2, rate=280)
    assert stretched.total_s == pytest.approx(burst.total_s * 2)
    assert stretched.peak_rate == pytest.approx(280)
    assert [s.rate for s in stretched.stages] == pytest.approx([40, 280, 40])

    mixed = load_scenario("mixed")
    assert mixed.with_overrides(users=3, duration_s=5).load.users == 3
    opened = mixed.with_overrides(rate=12)
    assert opened.model == "open" and opened.peak_rate == 12


THRESHOLDS = """
[[thresholds]]
endpoint = "GET /feed"
p95_ms = 80
p99_ms = 150
error_rate = 0.01
abort_on_fail = true

[[thresholds]]
endpoint = "POST /tweets"
p999_ms = 400
"""


def test_thresholds_parse_per_endpoint(tmp_path):
    scenario = parse_scenario(write(tmp_path, MINIMAL + THRESHOLDS))
    feed, post = scenario.thresholds
    assert feed.endpoint == "GET /feed" and feed.abort_on_fail
    assert feed.latency_limits() == {"p95_ms": 80, "p99_ms": 150} and feed.error_rate == 0.01
    assert post.latency_limits() == {"p999_ms": 400} and not post.abort_on_fail
    kept = scenario.with_overrides(duration_s=30)
    assert kept.thresholds == scenario.thresholds


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            ('"GET /feed"', '"GET /feeds"'),
            r"thresholds\[0\]\.endpoint: unknown endpoint 'GET /feeds'",
        ),
        (("p95_ms = 80", "p90_ms = 80"), r"thresholds\[0\]\.p90_ms: unknown field"),
        (("p99_ms = 150", "p99_ms = -1"), r"thresholds\[0\]\.p99_ms"),
        (("error_rate = 0.01", "error_rate = 0"), r"thresholds\[0\]\.error_rate"),
        (("p999_ms = 400", ""), r"thresholds\[1\]: set at least one of p50_ms"),
        (('"POST /tweets"', '"GET /feed"'), "thresholds: one entry per endpoint"),
    ],
)
def test_a_bad_threshold_is_one_line_naming_it(tmp_path, change, field):
    path = write(tmp_path, MINIMAL + THRESHOLDS.replace(*change))
    with pytest.raises(ScenarioError, match=field) as caught:
        parse_scenario(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_every_problem_of_a_file_is_named_at_once(tmp_path):
    broken = THRESHOLDS.replace('"GET /feed"', '"GET /nope"').replace("p999_ms", "p98_ms")
    with pytest.raises(ScenarioError, match="2 problems") as caught:
        parse_scenario(write(tmp_path, MINIMAL + broken))
    assert len(caught.value.problems) == 2


def test_the_warm_up_defaults_to_ten_seconds_at_most_half_the_run(tmp_path):
    assert load_scenario("mixed").warmup == 10
    short = parse_scenario(write(tmp_path, MINIMAL))  # 10 s long
    assert short.warmup == 5
    assert short.with_overrides(duration_s=60).warmup == 10
    assert short.with_overrides(warmup_s=0).warmup == 0
    own = parse_scenario(
        write(tmp_path, MINIMAL.replace("duration_s = 10", "duration_s = 60\nwarmup_s = 20"))
    )
    assert own.warmup == 20 and own.with_overrides(duration_s=30).warmup == 20


def test_a_warm_up_that_leaves_nothing_to_judge_is_refused(tmp_path):
    text = MINIMAL.replace("duration_s = 10", "duration_s = 10\nwarmup_s = 10")
    with pytest.raises(ScenarioError, match="warmup_s: 10 s leaves nothing of the 10 s run"):
        parse_scenario(write(tmp_path, text))
    with pytest.raises(ValueError, match="warmup_s"):
        load_scenario("smoke").with_overrides(duration_s=5)


def _journey_endpoints() -> set[str]:
    """Every `self.call(METHOD, path, NAME, ...)` of the journeys, f-string parts as `*`."""
    found = set()
    for path in JOURNEYS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "call"):
                continue
            method, _, name = node.args[:3]
            if isinstance(name, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "*" for v in name.values)
            else:
                text = name.value
            found.add(f"{method.value} {text}")
    return found


def test_endpoints_name_every_request_the_journeys_make():
    patterns = _journey_endpoints()
    assert len(patterns) >= 8
    for pattern in patterns:
        assert fnmatch.filter(ENDPOINTS, pattern), f"{pattern} is missing from ENDPOINTS"
    for endpoint in ENDPOINTS:
        assert any(fnmatch.fnmatch(endpoint, p) for p in patterns), f"{endpoint} is never made"
