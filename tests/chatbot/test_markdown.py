"""Article Markdown is rendered safely, links our own articles, and cuts into sections."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatbot import markdown

pytestmark = pytest.mark.smoke


def _link_for(slug: str) -> str | None:
    return f"/support/articles/{slug}/" if slug == "known" else None


def test_raw_html_and_script_are_shown_as_text_never_run() -> None:
    html = markdown.render('<script>alert("x")</script>\n\n<img src=x onerror=alert(1)>')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_dangerous_links_are_not_links() -> None:
    html = markdown.render("[a](javascript:alert(1)) [b](data:text/html,x) [c](vbscript:x)")
    assert "href" not in html


def test_article_links_point_to_our_articles_and_unknown_ones_are_plain_text() -> None:
    html = markdown.render(
        "See [this](article:known#limits) and [that](article:gone).", link_for=_link_for
    )
    assert '<a href="/support/articles/known/#limits"' in html
    assert "that" in html and "article:gone" not in html and html.count("<a ") == 1


def test_headings_get_unique_ids_and_a_first_level_heading_never_competes_with_the_page() -> None:
    html = markdown.render("# Setup\n\ntext\n\n## Setup\n\n## Main\n")
    assert "<h1" not in html
    assert '<h2 id="setup">' in html and '<h2 id="setup-2">' in html
    assert '<h2 id="main-section">' in html  # the page's own <main id="main"> keeps its id


def test_sections_split_at_the_headings_with_the_intro_first() -> None:
    source = "Intro words here.\n\n## First step\n\n1. Open it\n2. Click\n\n### Detail\n\nMore."
    found = markdown.sections(source)
    assert [(s.heading, s.anchor) for s in found] == [
        ("", ""),
        ("First step", "first-step"),
        ("Detail", "detail"),
    ]
    assert found[1].markdown.startswith("1. Open it")
    assert found[1].plain_text == "Open it\nClick"


def test_a_heading_with_nothing_under_it_joins_the_next_section() -> None:
    found = markdown.sections("## Troubleshooting\n\n### The email never arrives\n\nCheck spam.")
    assert [s.heading for s in found] == ["Troubleshooting: The email never arrives"]


def test_an_excerpt_keeps_whole_blocks_and_list_items_within_its_budget() -> None:
    source = "One two three four.\n\n1. alpha beta\n2. gamma delta\n3. epsilon zeta\n\nLast words."
    text, cut = markdown.excerpt(source, max_words=8)
    assert text == "One two three four.\n\n1. alpha beta\n2. gamma delta"
    assert cut
    whole, more = markdown.excerpt(source, max_words=100)
    assert whole.endswith("Last words.") and not more


@given(st.text(max_size=300))
def test_any_text_renders_without_error_and_without_markup_of_its_own(text: str) -> None:
    html = markdown.render(text)
    assert set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html)) <= markdown.ALLOWED_TAGS
    assert not re.search(r"<[^>]+\son\w+=", html)
    markdown.sections(text)
    markdown.excerpt(text, max_words=20)
