import re

import pytest

from chirp.stack import text
from chirp.stack.ids import MAX_NODE, IdGenerator, id_at_ms, id_time_ms


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


@pytest.mark.parametrize(
    "blank", ["\u200b\u200c\u200d", "\ufeff\u2060", " \t\n", "\u3164\u115f", "\u00ad"]
)
def test_text_with_nothing_visible_is_rejected(blank):
    with pytest.raises(text.TextRejected, match="visible"):
        text.normalise(blank)
    assert text.normalise(blank + "x").endswith("x")


def test_hashtags_and_mentions_stop_at_their_cap():
    many = " ".join(f"#t{i} @u{i}" for i in range(20))
    assert text.hashtags(many, 3) == ["t0", "t1", "t2"]
    assert text.mentions(many, 2) == ["u0", "u1"]


@pytest.mark.parametrize(
    ("name", "fine"),
    [
        ("Ada Lovelace", True),
        ("a\u0000b", False),
        ("tab\there", False),
        ("\u200b", False),
        ("é", True),
        ("  x  ", True),
    ],
)
def test_a_display_name_needs_something_visible_and_no_control_character(name, fine):
    assert bool(re.search(text.NAME_PATTERN, name)) is fine
