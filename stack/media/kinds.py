"""Which image an upload is, from its first bytes: the header a client sends is not trusted."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


PNG = Kind("image/png", "png")
JPEG = Kind("image/jpeg", "jpg")
GIF = Kind("image/gif", "gif")
WEBP = Kind("image/webp", "webp")

_PREFIXES = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)


def sniff(data: bytes) -> Kind | None:
    """The image kind `data` starts like, or None for anything else."""
    for prefix, kind in _PREFIXES:
        if data.startswith(prefix):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None
