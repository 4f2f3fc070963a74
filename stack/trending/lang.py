"""A tiny language guess for trending scopes, so `lang:<code>` fills even though the
write path stores "und". Pure: the script of the letters, then common short words.

It answers an ISO 639-1 code only when the evidence is clear, "und" otherwise;
a wrong guess only puts a hashtag in one wrong language scope, never in global.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

UNDETERMINED = "und"

# Script name prefix (from unicodedata.name) → language; kana before CJK on purpose.
_SCRIPTS = (
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("HANGUL", "ko"),
    ("CJK UNIFIED", "zh"),
    ("CYRILLIC", "ru"),
    ("ARABIC", "ar"),
    ("GREEK", "el"),
    ("HEBREW", "he"),
    ("THAI", "th"),
    ("DEVANAGARI", "hi"),
)

_STOPWORDS = {
    "en": "the and is are was of to in it you that this for with on what my be have not",
    "es": "el los las que y es por para con una muy pero como del al está yo",
    "fr": "le les des et est une pour pas avec dans qui ce sur je au du mais très",
    "de": "der die das und ist nicht ich ein eine mit auf zu den von für sehr auch",
    "pt": "os não um uma com para é do da muito mas você isso está em",
    "it": "il gli che di è per non sono della molto anche questo ma lo",
}
_WORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_TOKEN = re.compile(r"(?<![#@\w])[^\W\d_]+", re.UNICODE)
_URL = re.compile(r"https?://\S+")
_CODE = re.compile(r"[a-z]{2,3}")


def normalise(code: str) -> str:
    """The primary language subtag of a language tag ("en-US" → "en"); "und" unless
    it is 2 or 3 ASCII letters, the form trending scopes accept."""
    primary = code.strip().lower().split("-")[0].split("_")[0]
    return primary if _CODE.fullmatch(primary) else UNDETERMINED


def guess(text: str) -> str:
    """The language of `text` as an ISO 639-1 code, or "und" when unclear."""
    text = _URL.sub(" ", text)
    by_script = _script_language(text)
    if by_script is not None:
        return by_script
    return _stopword_language(text)


def _script_language(text: str) -> str | None:
    seen: Counter[str] = Counter()
    for char in text:
        if not char.isalpha() or char.isascii():
            continue
        name = unicodedata.name(char, "")
        for prefix, lang in _SCRIPTS:
            if name.startswith(prefix):
                seen[lang] += 1
                break
    if not seen:
        return None
    if seen["ja"]:  # Japanese mixes kana with kanji
        return "ja"
    return seen.most_common(1)[0][0]


def _stopword_language(text: str) -> str:
    words = [w.lower() for w in _TOKEN.findall(text)]
    hits = Counter({lang: sum(w in vocab for w in words) for lang, vocab in _WORDS.items()})
    ranked = hits.most_common(2)
    best, runner_up = ranked[0], ranked[1]
    if best[1] == 0 or best[1] == runner_up[1]:
        return UNDETERMINED
    return best[0]
