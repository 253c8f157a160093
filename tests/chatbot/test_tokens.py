"""Japanese is split into words before text search, and its length is counted fairly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot.tokens import is_unspaced, length_in_words, searchable_text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # Katakana loanwords stay whole; kanji runs become overlapping pairs; kana grammar goes.
        ("ダッシュボードにデータが表示されません", "ダッシュボード データ 表示"),
        ("署名証明書の有効期限", "署名 名証 証明 明書 有効 効期 期限"),
        # Product names and numbers in Latin letters stay words, full-width ones folded.
        ("SSOでサインインできない", "sso サインイン"),
        ("ＡＰＩトークンを２つ作る", "api トークン 2 作"),
        ("Okta・Entra ID", "okta entra id"),
        ("ｻﾎﾟｰﾄ", "サポート"),  # half-width katakana
    ],
)
def test_japanese_is_split_into_the_words_a_search_needs(text: str, words: str) -> None:
    assert searchable_text(text, "ja") == words


def test_other_languages_are_left_to_their_own_analyser() -> None:
    text = "Les réponses n’apparaissent pas dans l’export"
    for language in ("en", "es", "pt", "de", "fr", "it", "nl"):
        assert searchable_text(text, language) == text


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_japanese_words_are_never_empty_nor_grammar_alone(text: str) -> None:
    for word in searchable_text(text, "ja").split(" "):
        if not word:
            assert searchable_text(text, "ja") == ""
            continue
        assert not all("\u3040" <= c <= "\u309f" for c in word)


@pytest.mark.parametrize(
    ("text", "unspaced", "length"),
    [
        ("How do I reset my password?", False, 6),
        ("e-mail l’export", False, 2),
        ("パスワードをリセットするには？", True, 7),
        ("SSO", False, 1),
        ("", False, 0),
    ],
)
def test_length_is_counted_in_words_or_for_japanese_in_pairs_of_characters(
    text: str, unspaced: bool, length: int
) -> None:
    assert is_unspaced(text) is unspaced
    assert length_in_words(text) == length
