import pytest

from stack import text
from stack.ids import MAX_NODE, IdGenerator, id_at_ms, id_time_ms


def test_ids_strictly_increase_and_carry_their_time():
    generator = IdGenerator(node=3)
    ids = [generator.next_id() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert id_at_ms(id_time_ms(ids[0])) <= ids[0]


def test_ids_from_two_nodes_never_collide():
    a, b = IdGenerator(1), IdGenerator(2)
    assert not {a.next_id() for _ in range(2000)} & {b.next_id() for _ in range(2000)}


def test_node_out_of_range_is_refused():
    with pytest.raises(ValueError):
        IdGenerator(MAX_NODE + 1)


def test_normalise_counts_characters_after_nfc():
    assert text.normalise("e\u0301" * 280) == "\u00e9" * 280
    with pytest.raises(text.TextRejected):
        text.normalise("x" * 281)
    with pytest.raises(text.TextRejected):
        text.normalise(" \n\t")


def test_hashtags_and_mentions_are_distinct_lowercase_in_order():
    body = "Go #Kafka #redis #kafka @Ada @bob @ada email@example.com a#b"
    assert text.hashtags(body) == ["kafka", "redis"]
    assert text.mentions(body) == ["ada", "bob"]
