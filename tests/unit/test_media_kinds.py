from __future__ import annotations

import pytest

from chirp.stack.media import kinds

PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
WEBP_HEAD = b"RIFF\x24\x00\x00\x00WEBPVP8 "


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG_HEAD, kinds.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", kinds.JPEG),
        (b"GIF89a\x01\x00", kinds.GIF),
        (b"GIF87a\x01\x00", kinds.GIF),
        (WEBP_HEAD, kinds.WEBP),
    ],
)
def test_images_are_known_by_their_first_bytes(data, expected):
    assert kinds.sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.7", b"<svg xmlns=", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"\x89PNX", b"GIF90a"],
)
def test_anything_else_is_refused(data):
    assert kinds.sniff(data) is None
