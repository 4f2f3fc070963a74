"""Media through the API into the object store, and the edge in front: MISS then HIT,
purge on delete, cache headers and conditional GETs, and the upload's 4xx rules."""

from __future__ import annotations

import struct
import zlib

import httpx
import pytest

from chirp.stack import objectstore
from chirp.stack.tweets import store
from tests.api import Api, eventually

pytestmark = pytest.mark.integration


def png(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A real PNG image of `width` x `height` grey pixels (`seed` varies the shade)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([seed % 256]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def api(stack) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


@pytest.fixture(scope="module")
def edge(stack) -> httpx.Client:
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.port('edge_port')}", timeout=10) as c:
        yield c


def upload(api: Api, user, data: bytes, **options) -> httpx.Response:
    headers = {**user.auth, "Content-Type": options.pop("content_type", "image/png")}
    return api.http.post("/api/v1/media", content=data, headers=headers, **options)


def test_upload_post_fetch_twice_then_delete_purges(api, edge, stack):
    ada = api.sign_up("ada")
    image = png(seed=7)
    answer = upload(api, ada, image)
    assert answer.status_code == 201, answer.text
    media = answer.json()
    assert media["url"].startswith(f"http://127.0.0.1:{stack.port('edge_port')}/media/")
    tweet = api.post(ada, "with a picture", media_ids=[media["media_id"]])
    assert tweet["media_urls"] == [media["url"]]

    path = httpx.URL(media["url"]).path
    first, second = edge.get(path), edge.get(path)
    assert (first.status_code, first.headers["X-Cache"]) == (200, "MISS")
    assert (second.status_code, second.headers["X-Cache"]) == (200, "HIT")
    assert first.content == second.content == image
    assert "Age" in second.headers

    deleted = api.http.delete(f"/api/v1/tweets/{tweet['tweet_id']}", headers=ada.auth)
    assert deleted.status_code == 204
    eventually(lambda: edge.get(path).status_code == 404, timeout_s=10, what="media purged")
    gone = eventually(
        lambda: edge.get(f"/api/v1/tweets/{tweet['tweet_id']}").status_code == 404,
        timeout_s=10,
        what="tweet purged",
    )
    assert gone
    client = objectstore.s3_client(stack.settings())
    listed = client.list_objects_v2(Bucket=stack.settings().objectstore_bucket)
    keys = {item["Key"] for item in listed.get("Contents", [])}
    assert path.removeprefix("/media/") not in keys


def test_multipart_upload_is_taken(api, edge):
    bob = api.sign_up("bob")
    image = png(seed=9)
    answer = api.http.post(
        "/api/v1/media", files={"file": ("x.png", image, "image/png")}, headers=bob.auth
    )
    assert answer.status_code == 201, answer.text
    fetched = edge.get(httpx.URL(answer.json()["url"]).path)
    assert fetched.content == image
    assert fetched.headers["content-type"] == "image/png"


def test_bad_uploads_get_their_4xx(api, stack):
    cy, dee = api.sign_up("cy"), api.sign_up("dee")
    wrong_kind = upload(api, cy, b"%PDF-1.7 not an image", content_type="image/png")
    assert wrong_kind.status_code == 415
    assert wrong_kind.json()["error"]["code"] == "unsupported_media"
    too_big = png() + b"\x00" * stack.settings().media_max_bytes
    assert upload(api, cy, too_big).status_code == 413
    anonymous = api.http.post("/api/v1/media", content=png())
    assert anonymous.status_code == 401

    dees = upload(api, dee, png(seed=3)).json()["media_id"]
    others = api.http.post(
        "/api/v1/tweets", json={"text": "not mine", "media_ids": [dees]}, headers=cy.auth
    )
    assert others.status_code == 422
    assert "media_ids" in others.json()["error"]["message"]

    mine = upload(api, cy, png(seed=4)).json()["media_id"]
    api.post(cy, "first use", media_ids=[mine])
    reused = api.http.post(
        "/api/v1/tweets", json={"text": "again", "media_ids": [mine]}, headers=cy.auth
    )
    assert reused.status_code == 422
    five = api.http.post(
        "/api/v1/tweets", json={"text": "many", "media_ids": [mine] * 5}, headers=cy.auth
    )
    assert five.status_code == 422 and "media_ids" in five.json()["error"]["message"]


def test_links_are_refused_naming_media_ids(api):
    eve = api.sign_up("eve")
    answer = api.http.post(
        "/api/v1/tweets",
        json={"text": "link", "media_urls": ["https://example.com/x.png"]},
        headers=eve.auth,
    )
    assert answer.status_code == 422
    assert "media_ids" in answer.json()["error"]["message"]


def test_a_failed_claim_leaves_the_other_media_unused(api):
    fay, gus = api.sign_up("fay"), api.sign_up("gus")
    own = upload(api, fay, png(seed=5)).json()["media_id"]
    foreign = upload(api, gus, png(seed=6)).json()["media_id"]
    refused = api.http.post(
        "/api/v1/tweets", json={"text": "mixed", "media_ids": [own, foreign]}, headers=fay.auth
    )
    assert refused.status_code == 422
    assert api.post(fay, "now alone", media_ids=[own])["media_urls"]


def test_public_reads_are_cached_and_answer_304(api, edge):
    hal = api.sign_up("hal")
    tweet = api.post(hal, "cache me")
    path = f"/api/v1/tweets/{tweet['tweet_id']}"
    first = edge.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    tag = first.headers["ETag"]
    assert edge.get(path).headers["X-Cache"] == "HIT"
    conditional = edge.get(path, headers={"If-None-Match": tag})
    assert conditional.status_code == 304
    direct = api.http.get(path, headers={"If-None-Match": tag})
    assert direct.status_code == 304 and direct.headers["ETag"] == tag


def test_personal_reads_are_never_cached_or_shared(api, edge):
    ivy, jon = api.sign_up("ivy"), api.sign_up("jon")
    api.post(ivy, "only in ivy's feed")
    for _ in range(2):
        answer = edge.get("/api/v1/feed", params={"userId": ivy.user_id}, headers=ivy.auth)
        assert answer.status_code == 200
        assert answer.headers["X-Cache"] == "MISS"
        assert "no-store" in answer.headers["Cache-Control"]
    other = edge.get("/api/v1/feed", params={"userId": jon.user_id}, headers=jon.auth)
    assert other.status_code == 200
    assert "only in ivy's feed" not in other.text


def test_edit_purges_the_cached_tweet(api, edge):
    kim = api.sign_up("kim")
    tweet = api.post(kim, "before")
    path = f"/api/v1/tweets/{tweet['tweet_id']}"
    edge.get(path)
    assert edge.get(path).headers["X-Cache"] == "HIT"
    edited = api.http.patch(path, json={"text": "after"}, headers=kim.auth)
    assert edited.status_code == 200
    fresh = eventually(lambda: edge.get(path).json()["text"] == "after", what="edit seen")
    assert fresh


def test_purge_is_taken_only_from_127_0_0_1(api, edge, stack):
    lee = api.sign_up("lee")
    path = f"/api/v1/tweets/{api.post(lee, 'purge me')['tweet_id']}"
    edge.get(path)
    elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")
    base = f"http://127.0.0.1:{stack.port('edge_port')}"
    with httpx.Client(base_url=base, transport=elsewhere, timeout=10) as outsider:
        assert outsider.request("PURGE", path).status_code == 403
        assert outsider.get(path).headers["X-Cache"] == "HIT"
    assert edge.request("PURGE", path).status_code == 200
    assert edge.get(path).headers["X-Cache"] == "MISS"


def test_credentials_file_is_private(stack):
    path = objectstore.credentials_file(stack.settings())
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_worker_purges_what_the_gateway_did_not(api, edge, res):
    """A delete that never went through a gateway (so no gateway purge): the edge-purger
    worker purges the tweet and deletes its image from the Kafka event."""
    moe = api.sign_up("moe")
    media = upload(api, moe, png(seed=11)).json()
    tweet = api.post(moe, "behind the gateway's back", media_ids=[media["media_id"]])
    path, image = f"/api/v1/tweets/{tweet['tweet_id']}", httpx.URL(media["url"]).path
    edge.get(path), edge.get(image)
    assert edge.get(path).headers["X-Cache"] == "HIT"
    stored = store.get_tweet(res.dynamo, int(tweet["tweet_id"]))
    assert stored is not None
    store.delete_tweet(res.dynamo, stored)
    eventually(lambda: edge.get(path).status_code == 404, what="the worker's purge of the tweet")
    eventually(lambda: edge.get(image).status_code == 404, what="the worker's delete of the image")
