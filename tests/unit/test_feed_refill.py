"""Concurrent rebuilds share one store read per author (pure logic: a real thread pool)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chirp.stack.feed.entries import Entry
from chirp.stack.feed.refill import RecentRefills


def test_readers_of_an_author_already_being_read_share_that_read():
    release = threading.Event()
    calls: list[int] = []

    def one(author_id: int) -> list[Entry]:
        calls.append(author_id)
        release.wait(10)
        return [Entry(author_id * 10, author_id)]

    with ThreadPoolExecutor(4) as pool, ThreadPoolExecutor(4) as readers:
        refills = RecentRefills(pool)
        first = readers.submit(refills.read, [1, 2], one)
        _until(lambda: len(calls) == 2)  # the first reader's reads run and are held
        second = readers.submit(refills.read, [2, 3, 2], one)
        _until(lambda: len(calls) == 3)  # it joined 2 before it started 3
        release.set()
        assert first.result() == {1: [Entry(10, 1)], 2: [Entry(20, 2)]}
        assert second.result() == {2: [Entry(20, 2)], 3: [Entry(30, 3)]}
    assert sorted(calls) == [1, 2, 3]


def _until(check) -> None:
    for _ in range(1000):
        if check():
            return
        threading.Event().wait(0.01)
    raise AssertionError("never happened")


def test_an_author_read_again_once_the_earlier_read_is_over():
    calls: list[int] = []

    def one(author_id: int) -> list[Entry]:
        calls.append(author_id)
        return []

    with ThreadPoolExecutor(2) as pool:
        refills = RecentRefills(pool)
        assert refills.read([7], one) == {7: []}
        assert refills.read([7], one) == {7: []}
    assert calls == [7, 7]


def test_a_failed_read_raises_for_every_reader_and_is_not_kept():
    def broken(author_id: int) -> list[Entry]:
        raise ConnectionError(f"store down for {author_id}")

    with ThreadPoolExecutor(2) as pool:
        refills = RecentRefills(pool)
        for _ in range(2):
            try:
                refills.read([5], broken)
            except ConnectionError as error:
                assert "store down for 5" in str(error)
            else:
                raise AssertionError("the read's error was swallowed")
