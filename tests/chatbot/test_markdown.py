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


STEPS = "\n".join(f"{n}. Step {n} has a few words of its own to read." for n in range(1, 13))


def test_a_quote_keeps_a_long_list_of_steps_whole() -> None:
    source = f"Follow these steps.\n\n{STEPS}\n\nThat is all."
    text, cut = markdown.quote(source, max_words=40, list_max_words=400)
    assert "12. Step 12" in text and text.startswith("Follow these steps.")
    # The list is whole; the paragraph after it did not fit any more.
    assert cut and "That is all." not in text
    whole, more = markdown.quote(source, max_words=400, list_max_words=400)
    assert whole.endswith("That is all.") and not more


def test_a_list_longer_than_any_quote_is_cut_between_its_steps() -> None:
    text, cut = markdown.quote(STEPS, max_words=20, list_max_words=50)
    assert cut and text.endswith("to read.") and "5. Step 5" not in text


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("![The builder screen](/static/img/articles/survey-builder.svg)", True),
        ("![](/static/img/articles/survey-builder.svg)", False),  # no alt text
        ("![A chart](/static/img/articles/chart.png)", False),  # only our SVG figures
        ("![A chart](https://example.com/static/img/articles/chart.svg)", False),
        ("![A chart](/static/img/articles/../../secret.svg)", False),
        ("![A chart](/media/uploads/chart.svg)", False),
    ],
)
def test_only_our_own_figures_with_alt_text_are_shown(source: str, shown: bool) -> None:
    html = markdown.render(source)
    assert ("<img" in html) is shown
    if shown:
        assert 'alt="The builder screen"' in html
        assert 'src="/static/img/articles/survey-builder.svg"' in html


@given(st.text(max_size=200))
def test_any_image_that_renders_is_one_of_our_figures(text: str) -> None:
    html = markdown.render(f"![{text}](/static/img/articles/a.svg) ![x]({text})")
    for src in re.findall(r'<img src="([^"]*)"', html):
        assert markdown.FIGURE_SOURCE.match(src)
