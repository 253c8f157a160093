"""Words for text search in languages written without spaces.

PostgreSQL and Snowball have no Japanese analyser, so Japanese text is turned into words
before either sees it: a run of kanji becomes its overlapping two-character pairs (the usual
way to index Chinese characters without a dictionary: 問い合わせ先 matches 問い合わせ),
a run of katakana stays one word (loanwords: ダッシュボード), and hiragana, which mostly
carries grammar (は, です, ください), is left out. Latin letters and digits stay words as they
are, so product names (SSO, API, Okta) match across languages. The result is analysed with
PostgreSQL's "simple" configuration, or split on spaces in Python, without stemming.
"""

from __future__ import annotations

import re
import unicodedata

UNSPACED_LANGUAGES = frozenset({"ja"})

_KANJI = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆"
_KATAKANA = r"\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HIRAGANA = r"\u3040-\u309f"
_RUN = re.compile(
    rf"(?P<kanji>[{_KANJI}]+)|(?P<katakana>[{_KATAKANA}]+)|(?P<hiragana>[{_HIRAGANA}]+)"
    rf"|(?P<word>[^\W{_KANJI}{_KATAKANA}{_HIRAGANA}]+)"
)


def _japanese_words(text: str) -> list[str]:
    words: list[str] = []
    # NFKC folds full-width Latin letters and digits (ＳＳＯ, ２) and half-width katakana.
    for match in _RUN.finditer(unicodedata.normalize("NFKC", text)):
        run = match.group()
        if match.lastgroup == "kanji":
            words += [run] if len(run) == 1 else [run[n : n + 2] for n in range(len(run) - 1)]
        elif match.lastgroup == "katakana":
            word = run.strip("・")
            if word:
                words += [part for part in word.split("・") if part]
        elif match.lastgroup == "word":
            words.append(run.casefold())
    return words


def searchable_text(text: str, language: str) -> str:
    """The text as the search analyser should read it: itself, or for a language written
    without spaces, its words joined by spaces."""
    if language in UNSPACED_LANGUAGES:
        return " ".join(_japanese_words(text))
    return text


def is_unspaced(text: str) -> bool:
    """Whether the text is mostly written without spaces (Japanese), so that counting its
    words by spaces says nothing about its length."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    unspaced = sum(1 for c in letters if re.match(rf"[{_KANJI}{_KATAKANA}{_HIRAGANA}]", c))
    return unspaced * 2 >= len(letters)


SPACED_WORD = re.compile(r"[\w’'-]+", re.UNICODE)


def length_in_words(text: str) -> int:
    """About how many words the text has: for Japanese one per two characters (about the
    length of a Japanese word), else its words between spaces and punctuation."""
    if is_unspaced(text):
        return (len([c for c in text if c.isalnum()]) + 1) // 2
    return len(SPACED_WORD.findall(text))
