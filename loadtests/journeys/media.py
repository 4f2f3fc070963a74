"""Media users: now and then someone uploads an image and posts it; mostly, people look
at images already posted, the earliest (most shared) most often, through the edge."""

from __future__ import annotations

import struct
import zlib

from locust import task

from chirp.loadtests.journeys.base import ChirpUser
from chirp.scenarios.model import Journey

UPLOAD_SHARE = 0.05
POPULARITY = 1.2
"""Pareto shape of which posted image is viewed: lower is more skewed to the first ones."""

_posted: list[str] = []
"""Edge URLs of the images this generator process posted, in order."""


class MediaUser(ChirpUser):
    """POST /media then POST /tweets with it (5 %), else GET a posted image's edge URL."""

    abstract = True
    journey = Journey.media

    @task
    def use_media(self) -> None:
        self.begin()
        if not _posted or self.ctx.rng.random() < UPLOAD_SHARE:
            self.upload_and_post()
            return
        rank = min(len(_posted), int(self.ctx.rng.paretovariate(POPULARITY)))
        self.call("GET", _posted[rank - 1], "/media/{key}", under_api=False)

    def upload_and_post(self) -> None:
        author = self.ctx.authors.pick()
        image = png(self.ctx.rng.randrange(1 << 30))
        uploaded = self.call(
            "POST",
            "/media",
            "/media (upload)",
            actor=author,
            data=image,
            headers={"Content-Type": "image/png"},
            ok=(201,),
        )
        if not uploaded or "media_id" not in uploaded:
            return
        body = {"text": "a picture #media", "media_ids": [uploaded["media_id"]]}
        tweet = self.call("POST", "/tweets", "/tweets", actor=author, body=body, ok=(201,))
        if tweet:
            _posted.append(uploaded["url"])
            self.ctx.tweets.remember([tweet["tweet_id"]])


def png(seed: int, side: int = 32) -> bytes:
    """A small real PNG whose pixels depend on `seed`, so every upload is a new object."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    rows = b"".join(b"\x00" + bytes([(seed + y) % 256]) * side for y in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(rows)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", idat)
        + chunk(b"tEXt", b"seed\x00" + str(seed).encode())
        + chunk(b"IEND", b"")
    )
