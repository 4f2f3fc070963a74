"""FastAPI dependencies as `Annotated` aliases: the resources, the caller, the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stack.gateway import auth, ratelimit
from stack.gateway.errors import ApiError
from stack.resources import Resources
from stack.settings import Settings
from stack.users import activity

_bearer = HTTPBearer(auto_error=False, description="The token returned by POST /api/v1/users")


def get_resources(request: Request) -> Resources:
    return request.app.state.resources  # type: ignore[no-any-return]


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings_dep(res: ResourcesDep) -> Settings:
    return res.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def current_user(
    res: ResourcesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    """The authenticated caller's id; counts the request against the hourly limit and marks
    the caller active (one Redis round trip)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "missing bearer token", {"WWW-Authenticate": "Bearer"})
    user_id = auth.user_for_token(res, credentials.credentials)
    if user_id is None:
        raise ApiError(401, "unauthorized", "invalid token", {"WWW-Authenticate": "Bearer"})
    limit = res.settings.requests_per_hour
    if ratelimit.check(res.redis, "requests", user_id, limit, mark=activity.active_mark(user_id)):
        activity.record_active(res, user_id)
    return user_id


CurrentUser = Annotated[int, Depends(current_user)]


MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=0, le=MAX_ID, description="a decimal id")]
"""An id in a path: refused with 422 outside 64-bit range, before any store sees it."""
CursorQuery = Annotated[str | None, Query(alias="cursor", max_length=512)]
LimitQuery = Annotated[int, Query(ge=1, le=200)]


def require_self(caller: int, user_id: int, action: str) -> None:
    """403 unless the caller acts as itself."""
    if caller != user_id:
        raise ApiError(403, "forbidden", f"you may only {action} as yourself")
