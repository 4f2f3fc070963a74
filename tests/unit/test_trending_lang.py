import pytest

from chirp.stack.trending import lang


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("the match is on tonight #worldcup", "en"),
        ("el partido es muy bueno #mundial", "es"),
        ("le match est dans une heure", "fr"),
        ("das Spiel ist nicht heute", "de"),
        ("これは日本語です", "ja"),
        ("한국어 트윗입니다", "ko"),
        ("我们今天去看比赛", "zh"),
        ("Привет, мир", "ru"),
        ("hello #chirp", "und"),
        ("#tag @ada https://example.com/the/and/is", "und"),
        ("", "und"),
    ],
)
def test_guess(text, code):
    assert lang.guess(text) == code


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en", "en"), ("en-US", "en"), ("PT_br", "pt"), ("und", "und"), ("x", "und"), ("", "und")],
)
def test_normalise_keeps_the_primary_subtag(tag, code):
    assert lang.normalise(tag) == code
