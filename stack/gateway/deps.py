"""FastAPI dependencies as `Annotated` aliases: the resources, the caller, the settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chirp.core.settings import Settings
from chirp.stack.gateway import auth, clientip, cursor, ratelimit
from chirp.stack.gateway.errors import ApiError
from chirp.stack.resources import Resources
from chirp.stack.users import activity

_bearer = HTTPBearer(auto_error=False, description="The token returned by POST /api/v1/users")


def get_resources(request: Request) -> Resources:
    return request.app.state.resources  # type: ignore[no-any-return]


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings_dep(res: ResourcesDep) -> Settings:
    return res.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def client_address(request: Request, res: ResourcesDep) -> str:
    """The caller's network address (a trusted proxy's X-Forwarded-For, else the peer)."""
    return clientip.client_address(request, res.settings)


ClientAddress = Annotated[str, Depends(client_address)]


def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token the request carries; 401 when there is none."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "missing bearer token", {"WWW-Authenticate": "Bearer"})
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def current_user(res: ResourcesDep, token: BearerToken, address: ClientAddress) -> int:
    """The authenticated caller's id; counts the request against the hourly limit and marks
    the caller active (one Redis round trip)."""
    user_id = auth.resolve(res, token, address).user_id
    limit = res.settings.requests_per_hour
    if ratelimit.check(res.redis, "requests", user_id, limit, mark=activity.active_mark(user_id)):
        activity.record_active(res, user_id)
    return user_id


CurrentUser = Annotated[int, Depends(current_user)]


MAX_ID = cursor.MAX_ID
IdPath = Annotated[int, Path(ge=0, le=MAX_ID, description="a decimal id")]
"""An id in a path: refused with 422 outside 64-bit range, before any store sees it."""
CursorQuery = Annotated[
    str | None,
    Query(
        alias="cursor",
        pattern=cursor.ID_PATTERN,
        description="`next_cursor` of the previous page: the id of the last item served; "
        "the page continues past it (an id beyond the 64-bit range reads as the largest)",
        examples=["387654668131508224"],
    ),
]
SearchCursorQuery = Annotated[
    str | None,
    Query(
        alias="cursor",
        pattern=cursor.SEARCH_PATTERN,
        description="`next_cursor` of the previous page: `<sort value>~<id>` of its last hit "
        "(time in ms for tweets, score for users)",
        examples=["1796491033790~387654668131508224"],
    ),
]
NotificationCursorQuery = Annotated[
    str | None,
    Query(
        alias="cursor",
        pattern=cursor.NOTIFICATION_PATTERN,
        description="`next_cursor` of the previous page: `<time in ms>~<id>` of its last item",
        examples=["1796491033790~like:387653999894994944:387654668131508224"],
    ),
]
LimitQuery = Annotated[int, Query(ge=1, le=200)]


def require_self(caller: int, user_id: int, action: str) -> None:
    """403 unless the caller acts as itself."""
    if caller != user_id:
        raise ApiError(403, "forbidden", f"you may only {action} as yourself")
