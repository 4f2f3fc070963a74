"""Shipped scenarios validate; a bad one fails in one line naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import Journey, ScenarioError, available, load_scenario, parse_scenario
from scenarios.loader import SHIPPED_DIR

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
    assert load_scenario("smoke").total_s <= 40
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

    smoke = load_scenario("smoke")
    assert smoke.with_overrides(users=3, duration_s=5).load.users == 3
    opened = smoke.with_overrides(rate=12)
    assert opened.model == "open" and opened.peak_rate == 12
