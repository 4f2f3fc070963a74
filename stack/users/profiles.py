"""User profiles through the `user:{id}` Redis cache, PostgreSQL on a miss.

The one owner of the profile cache keys: services that show users call
`profiles`, and anything that changes a profile's counts calls `forget`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis

from chirp.stack.resources import Resources
from chirp.stack.users import reads, store
from chirp.stack.users.schemas import UserPublic

log = logging.getLogger(__name__)


def _key(user_id: int) -> str:
    return f"user:{user_id}"


def to_public(row: store.UserRow) -> UserPublic:
    return UserPublic(
        user_id=str(row.id),
        username=row.username,
        display_name=row.display_name,
        follower_count=row.follower_count,
        following_count=row.following_count,
        created_at=row.created_at,
    )


def profiles(res: Resources, user_ids: Iterable[int]) -> dict[int, UserPublic]:
    """Profiles of the users that exist among `user_ids`, by id."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    found: dict[int, UserPublic] = {}
    try:
        for user_id, raw in zip(ids, res.redis.mget([_key(i) for i in ids]), strict=True):
            if raw is not None:
                found[user_id] = UserPublic.model_validate_json(raw)
    except redis.RedisError as error:
        log.debug("profile cache unavailable: %s", error)
    missing = [i for i in ids if i not in found]
    if missing:
        rows = reads.read(res, missing, lambda conn: store.get_users(conn, missing))
        loaded = {user_id: to_public(row) for user_id, row in rows.items()}
        found.update(loaded)
        _remember(res, loaded)
    return found


def _remember(res: Resources, loaded: dict[int, UserPublic]) -> None:
    if not loaded:
        return
    try:
        with res.redis.pipeline(transaction=False) as pipe:
            for user_id, profile in loaded.items():
                pipe.set(_key(user_id), profile.model_dump_json(), ex=res.settings.user_cache_ttl_s)
            pipe.execute()
    except redis.RedisError as error:
        log.debug("profile cache unavailable: %s", error)


def forget(res: Resources, *user_ids: int) -> None:
    try:
        res.redis.delete(*[_key(i) for i in user_ids])
    except redis.RedisError as error:
        log.debug("profile cache unavailable: %s", error)
