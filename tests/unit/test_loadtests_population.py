"""The population contract `chirp seed` writes and the load reads."""

from __future__ import annotations

import json

import pytest

from chirp.core.errors import PopulationError
from chirp.loadtests.population import load_population, population_path

USERS = [
    {"user_id": "11", "username": "ada", "token": "t-ada", "followers": 5},
    {"user_id": "22", "username": "bob", "token": "t-bob", "followers": 500},
    {"user_id": "33", "username": "eve", "token": "t-eve", "followers": 50},
]


def write(tmp_path, data):
    path = population_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_a_seeded_population_loads(tmp_path):
    path = write(tmp_path, {"users": USERS, "celebrities": ["22"], "hashtags": ["chirp"]})
    population = load_population(path)
    assert [m.username for m in population.by_followers()] == ["bob", "eve", "ada"]
    assert [m.user_id for m in population.celebrity_members()] == ["22"]
    assert population.hashtags == ["chirp"]


def test_without_celebrities_the_most_followed_stands_in(tmp_path):
    population = load_population(write(tmp_path, {"users": USERS}))
    assert [m.username for m in population.celebrity_members()] == ["bob"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no seeded population at .*; run `chirp seed` first"),
        ("{not json", "not valid JSON .*run `chirp seed` again"),
        ({"users": []}, "malformed at users .*run `chirp seed` again"),
        ({"users": [{"user_id": "1", "username": "a"}]}, "malformed at users.0.token"),
        ({"users": [{**USERS[0], "user_id": "abc"}]}, "malformed at users.0.user_id"),
    ],
)
def test_missing_or_malformed_is_one_clear_line(tmp_path, content, expected):
    path = population_path(tmp_path) if content is None else write(tmp_path, content)
    with pytest.raises(PopulationError, match=expected) as caught:
        load_population(path)
    assert "\n" not in str(caught.value)
