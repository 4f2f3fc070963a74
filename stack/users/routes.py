"""Users and follows: sign-up, profiles, follow and unfollow, follower lists."""

from __future__ import annotations

import time

import psycopg
from fastapi import APIRouter, Response, status

from chirp.stack.gateway import auth, clientip, cursor
from chirp.stack.gateway.deps import (
    BearerToken,
    ClientAddress,
    CurrentUser,
    CursorQuery,
    IdPath,
    LimitQuery,
    ResourcesDep,
    require_self,
)
from chirp.stack.gateway.errors import ApiError, forbidden, not_found
from chirp.stack.gateway.openapi import AUTHENTICATED, errors
from chirp.stack.relay.wakeup import OUTBOX, nudge
from chirp.stack.users import profiles, reads, store
from chirp.stack.users.schemas import Page, TokenIssued, UserCreate, UserCreated, UserPublic

router = APIRouter(prefix="/users", tags=["users"])

_CONFLICT = errors(409, e409="the username is taken")
_NO_USER = errors(404, e404="no such user")
_AS_SELF = {**AUTHENTICATED, **errors(403, 404, e403="not acting as yourself", e404="no such user")}


@router.post("", status_code=status.HTTP_201_CREATED, responses=_CONFLICT)
def create_user(body: UserCreate, res: ResourcesDep, address: ClientAddress) -> UserCreated:
    """Sign up; the response carries the bearer token, shown this once, and when it
    expires. Each client address has a budget of sign-ups per window (429 past it)."""
    clientip.count_signup(res.redis, res.settings, address)
    token, token_hash = auth.issue_token()
    try:
        with res.pg_write() as conn:
            row = store.create_user(
                conn, res.ids.next_id(), body.username, body.display_name, token_hash
            )
    except store.UsernameTaken as error:
        raise ApiError(409, "conflict", f"username {body.username!r} is taken") from error
    reads.note_write(res, row.id)
    nudge(res.redis, OUTBOX)  # the sign-up's outbox event
    grant = auth.grant_for(res, row.id, row.created_at)
    auth.remember(res, token, grant)  # the new token answers at once, with no lookup
    return UserCreated(
        user_id=str(row.id), username=row.username, token=token, expires_at=grant.expires_at
    )


@router.post(
    "/{user_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    responses={
        **AUTHENTICATED,
        **errors(403, 409, e403="not your own tokens", e409="the token was rotated already"),
    },
)
def rotate_token(
    user_id: IdPath, caller: CurrentUser, token: BearerToken, res: ResourcesDep
) -> TokenIssued:
    """Replace the caller's bearer token with a new one, shown this once. The token the
    request carries is refused from now on, on every gateway: this is how a leaked
    token is revoked, and how a token is renewed before it expires."""
    require_self(caller, user_id, "rotate tokens")
    new_token, grant = auth.rotate(res, user_id, token)
    return TokenIssued(token=new_token, expires_at=grant.expires_at)


@router.get("/{user_id}", responses=_NO_USER)
def get_user(user_id: IdPath, res: ResourcesDep) -> UserPublic:
    found = profiles.profiles(res, [user_id]).get(user_id)
    if found is None:
        raise not_found("User")
    return found


@router.put("/{user_id}/following/{target_id}", status_code=204, responses=_AS_SELF)
def follow_user(
    user_id: IdPath, target_id: IdPath, caller: CurrentUser, res: ResourcesDep
) -> Response:
    """Follow `target_id` as `user_id` (the caller). Following twice changes nothing."""
    _set_follow(res, caller, user_id, target_id, following=True)
    return Response(status_code=204)


@router.delete("/{user_id}/following/{target_id}", status_code=204, responses=_AS_SELF)
def unfollow_user(
    user_id: IdPath, target_id: IdPath, caller: CurrentUser, res: ResourcesDep
) -> Response:
    """Stop following `target_id`; their tweets leave the caller's feed."""
    _set_follow(res, caller, user_id, target_id, following=False)
    return Response(status_code=204)


def _set_follow(
    res: ResourcesDep, caller: int, user_id: IdPath, target_id: IdPath, *, following: bool
) -> None:
    require_self(caller, user_id, "follow or unfollow")
    if target_id == user_id:
        raise forbidden("you cannot follow yourself")
    with res.pg_write() as conn:
        if store.get_user(conn, target_id) is None:
            raise not_found("User")
        changed = store.set_follow(conn, user_id, target_id, following, int(time.time() * 1000))
    # Marked even when nothing changed: the caller has just asked, and should see the answer.
    reads.note_write(res, user_id, target_id)
    if changed:
        nudge(res.redis, OUTBOX)  # the follow's outbox event
        profiles.forget(res, user_id, target_id)


@router.get("/{user_id}/followers", responses=_NO_USER)
def list_followers(
    user_id: IdPath,
    res: ResourcesDep,
    cursor_: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[UserPublic]:
    return _follow_page(res, user_id, "followers", cursor_, limit)


@router.get("/{user_id}/following", responses=_NO_USER)
def list_following(
    user_id: IdPath,
    res: ResourcesDep,
    cursor_: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[UserPublic]:
    return _follow_page(res, user_id, "following", cursor_, limit)


def _follow_page(
    res: ResourcesDep, user_id: int, direction: str, raw_cursor: str | None, limit: int
) -> Page[UserPublic]:
    after = cursor.decode_id(raw_cursor)

    def page(conn: psycopg.Connection) -> list[int] | None:
        if store.get_user(conn, user_id) is None:
            return None
        return store.page_of_follows(conn, user_id, direction, after, limit + 1)

    ids = reads.read(res, [user_id], page)
    if ids is None:
        raise not_found("User")
    more = len(ids) > limit
    ids = ids[:limit]
    found = profiles.profiles(res, ids)
    return Page[UserPublic](
        items=[found[i] for i in ids if i in found],
        next_cursor=cursor.encode_id(ids[-1]) if more else None,
    )
