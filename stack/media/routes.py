"""Media: `POST /api/v1/media` stores one image and answers where the edge serves it."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from chirp.core.settings import Settings
from chirp.stack.gateway.deps import CurrentUser, ResourcesDep
from chirp.stack.gateway.errors import ApiError
from chirp.stack.gateway.openapi import AUTHENTICATED
from chirp.stack.media import service

router = APIRouter(tags=["media"])
API_PREFIX = "/api/v1"
UPLOAD_PATH = "/media"
MULTIPART_OVERHEAD = 64 * 1024
"""Room for a multipart form's boundaries and part headers around the largest image."""


class MediaPublic(BaseModel):
    media_id: str
    url: str


@router.post(
    UPLOAD_PATH,
    status_code=status.HTTP_201_CREATED,
    responses={
        **AUTHENTICATED,
        413: {"description": "over the size limit"},
        415: {"description": "not a PNG, JPEG, GIF or WebP image"},
        429: {"description": "upload rate limit"},
    },
)
async def upload_media(request: Request, caller: CurrentUser, res: ResourcesDep) -> MediaPublic:
    """Upload an image as the raw body, or as the one file of a multipart form. Its kind
    is read from its bytes, not from Content-Type. Attach it with `media_ids` on a tweet."""
    data = await _upload_bytes(request, res.settings.media_max_bytes)
    uploaded = await run_in_threadpool(service.upload, res, caller, data)
    return MediaPublic(media_id=str(uploaded.media_id), url=uploaded.url)


async def _upload_bytes(request: Request, max_bytes: int) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await request.body()
    form = await request.form(max_files=1, max_fields=4, max_part_size=max_bytes + 1)
    files = [value for value in form.values() if not isinstance(value, str)]
    if len(files) != 1:
        raise ApiError(422, "invalid", "send one file in the multipart form")
    data = await files[0].read()
    await form.close()
    return data


def media_body_limits(settings: Settings) -> dict[str, int]:
    """The upload route's body limit, above the gateway's small default for JSON."""
    return {API_PREFIX + UPLOAD_PATH: settings.media_max_bytes + MULTIPART_OVERHEAD}
