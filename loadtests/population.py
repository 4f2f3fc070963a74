"""The seeded population the load acts as: users with tokens, celebrities, hashtags.

`chirp seed` writes `<run_dir>/seed/population.json`; this module only reads it:

    {"users": [{"user_id": "<decimal>", "username": "...", "token": "...", "followers": <int>}],
     "celebrities": ["<user_id>", ...],
     "hashtags": ["...", ...]}
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chirp.core.errors import PopulationError

POPULATION_FILE = Path("seed") / "population.json"


class Member(BaseModel):
    """One seeded user the load can act as."""

    model_config = ConfigDict(frozen=True)

    user_id: str = Field(pattern=r"^\d{1,20}$")
    username: str = Field(min_length=1)
    token: str = Field(min_length=1)
    followers: int = Field(0, ge=0)


class Population(BaseModel):
    """Everything `chirp seed` left for the load generator."""

    model_config = ConfigDict(frozen=True)

    users: list[Member] = Field(min_length=1)
    celebrities: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)

    def by_followers(self) -> list[Member]:
        """Users, most followed first: the order authors and profiles are skewed by."""
        return sorted(self.users, key=lambda m: (-m.followers, m.user_id))

    def celebrity_members(self) -> list[Member]:
        """The celebrities that are also users with tokens; else the most followed user."""
        wanted = set(self.celebrities)
        found = [m for m in self.by_followers() if m.user_id in wanted]
        return found or self.by_followers()[:1]


def population_path(run_dir: Path) -> Path:
    return run_dir / POPULATION_FILE


def load_population(path: Path) -> Population:
    """Read and check the population file; one clear line when it is missing or malformed."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise PopulationError(f"no seeded population at {path}; run `chirp seed` first") from error
    except OSError as error:
        raise PopulationError(
            f"cannot read {path} ({error.strerror}); run `chirp seed` first"
        ) from error
    try:
        return Population.model_validate(json.loads(raw))
    except json.JSONDecodeError as error:
        raise PopulationError(
            f"{path} is not valid JSON ({error.msg}, line {error.lineno}); run `chirp seed` again"
        ) from error
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "top level"
        raise PopulationError(
            f"{path} is malformed at {where} ({first['msg']}); run `chirp seed` again"
        ) from error
