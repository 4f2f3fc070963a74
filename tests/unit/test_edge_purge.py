from __future__ import annotations

from chirp.core.settings import Settings
from chirp.stack.edge.purge import edge_address, invalidation_paths, media_path, tweet_urls


def test_a_tweet_purges_its_url_and_bans_its_authors_timeline():
    paths, prefixes = tweet_urls(42, 7)
    assert paths == ["/api/v1/tweets/42"]
    assert prefixes == ["/api/v1/users/7/tweets"]


def test_media_urls_become_edge_paths_whatever_their_host():
    assert media_path("http://127.0.0.1:8088/media/1-ab.png") == "/media/1-ab.png"
    assert media_path("https://d1.cloudfront.example/media/1-ab.png") == "/media/1-ab.png"


def test_cloudfront_invalidates_paths_and_prefixes_with_their_pages():
    items = invalidation_paths(["/api/v1/tweets/42", "/media/k.png"], ["/api/v1/users/7/tweets"])
    assert items == ["/api/v1/tweets/42", "/media/k.png", "/api/v1/users/7/tweets*"]


def test_purges_go_to_the_edge_host_when_it_is_named_else_to_the_stack_host():
    assert edge_address(Settings(edge_port=18088)) == ("127.0.0.1", 18088)
    assert edge_address(Settings(edge_host="edge", edge_port=6081)) == ("edge", 6081)
