"""Chat messages are plain text: escaped, with only http(s) links, which leak nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.templatetags.chat_format import chat_text

REL = 'rel="nofollow noopener noreferrer"'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain <b>bold</b>", "plain &lt;b&gt;bold&lt;/b&gt;"),
        (
            "see https://example.com/a?b=1&c=2.",
            f'see <a href="https://example.com/a?b=1&amp;c=2" {REL}>'
            "https://example.com/a?b=1&amp;c=2</a>.",
        ),
        (
            "(http://example.com/wiki/A_(b))",
            f'(<a href="http://example.com/wiki/A_(b)" {REL}>http://example.com/wiki/A_(b)</a>)',
        ),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("mail me@example.com", "mail me@example.com"),
        ("ftp://example.com/file", "ftp://example.com/file"),
        ('http://x.example/"onmouseover="alert(1)', f'<a href="http://x.example/" {REL}>'),
        ("https://", "https://"),
    ],
)
def test_links_and_markup(text: str, html: str) -> None:
    assert html in str(chat_text(text))


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_no_markup_gets_through_but_our_links(text: str) -> None:
    html = str(chat_text(text))
    without_links = re.sub(r'<a href="https?://[^"<>]*" ' + REL + r">[^<>]*</a>", "", html)
    assert "<" not in without_links and ">" not in without_links
    assert 'href="javascript' not in html.lower()
