"""The rules of the knowledge base's content (R-KB, KNOWLEDGE_FORMAT.md), over the real files
of chatbot/knowledge: enough real guidance, no near-duplicates or templated filler, every
translation and every labelled question pointing at articles that exist."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import date
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from chatbot import content, markdown

pytestmark = pytest.mark.smoke

MIN_BODY_WORDS = 250
STATIC_ROOT = Path(__file__).resolve().parents[2] / "static"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# Word 5-gram shingles: two articles sharing more than this share of them are near-copies.
SHINGLE = 5
MAX_JACCARD = 0.15
# A sentence this long appearing in two articles is boilerplate, not a coincidence.
LONG_SENTENCE_WORDS = 12
FILLER = re.compile(
    r"\b(lorem|ipsum|todo|tbd|fixme|xxx|dolor sit amet|coming soon|insert (text|content) here|"
    r"this article (explains|describes) how to [a-z ]+\. this article)\b",
    re.I,
)
# In other languages "todo" (Spanish, Portuguese: all) and "dolor" are words.
FILLER_ANY_LANGUAGE = re.compile(r"\b(lorem ipsum|TODO|TBD|FIXME|XXX)\b")
# The same sentence frame filled with other words, article after article.
TEMPLATED_OPENINGS_MAX = 3
# Questions written without the articles in view; every one no article answers is a gap.
BLIND_SET = "blind"
BLIND_COVERAGE = 0.95


@cache
def _articles() -> tuple[content.ArticleFile, ...]:
    return tuple(content.article_files())


@cache
def _questions() -> tuple[content.LabelledQuestion, ...]:
    return tuple(content.labelled_questions())


def _words(text: str) -> list[str]:
    return [word.casefold() for word in markdown.words(text)]


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[n : n + SHINGLE]) for n in range(len(words) - SHINGLE + 1)}


def _sentences(text: str) -> list[str]:
    plain = markdown.plain_text(text)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", plain) if s.strip()]


def _name(article: content.ArticleFile) -> str:
    return f"{article.language}/{article.area}/{article.slug}"


def test_every_file_is_well_formed() -> None:
    # article_files and labelled_questions raise, naming every file that breaks the format.
    assert _articles()
    assert _questions()


def test_there_are_enough_articles_in_each_language() -> None:
    languages = Counter(article.language for article in _articles())
    assert languages["en"] >= 60
    assert languages["it"] >= 10
    assert languages["fr"] >= 10


def test_every_product_area_and_the_hub_have_english_articles() -> None:
    areas = {article.area for article in _articles() if article.language == "en"}
    assert areas == content.AREAS


def test_every_article_has_at_least_250_words_of_body() -> None:
    short = [
        f"{_name(a)}: {markdown.word_count(a.body)} words"
        for a in _articles()
        if markdown.word_count(a.body) < MIN_BODY_WORDS
    ]
    assert not short, short


def test_every_article_has_headings_a_dated_update_and_keywords_in_english() -> None:
    problems = []
    for article in _articles():
        if not markdown.sections(article.body)[1:]:
            problems.append(f"{_name(article)}: no ## heading")
        if not (date(2026, 1, 1) <= article.updated <= timezone.localdate()):
            problems.append(f"{_name(article)}: updated {article.updated} is not in 2026 so far")
        if article.language == "en" and not 2 <= len(article.keywords) <= 8:
            problems.append(f"{_name(article)}: {len(article.keywords)} keywords (2-8)")
    assert not problems, problems


def test_slugs_and_titles_are_unique() -> None:
    titles = Counter((a.language, a.title.casefold()) for a in _articles())
    assert [t for t, n in titles.items() if n > 1] == []
    slugs = Counter((a.language, a.slug) for a in _articles())
    assert [s for s, n in slugs.items() if n > 1] == []


def test_every_translation_has_an_english_original_in_the_same_area() -> None:
    english = {a.slug: a.area for a in _articles() if a.language == "en"}
    orphans = [
        _name(a) for a in _articles() if a.language != "en" and english.get(a.slug) != a.area
    ]
    assert not orphans, orphans


def test_article_links_name_articles_that_exist() -> None:
    slugs = {a.slug for a in _articles()}
    broken = [
        f"{_name(a)} → {slug}"
        for a in _articles()
        for slug in markdown.article_slugs_linked(a.body)
        if slug not in slugs
    ]
    assert not broken, broken


def test_no_raw_html_images_or_external_links_in_the_bodies() -> None:
    # Figures (checked below) are the one kind of image allowed.
    problems = [
        _name(a)
        for a in _articles()
        if re.search(
            r"<[a-zA-Z/][^>]*>|!\[|\]\((?!article:)[^)]*\)", content.FIGURE.sub("", a.body)
        )
    ]
    assert not problems, problems


def _svg_problems(path: Path) -> list[str]:
    if not path.is_file():
        return ["missing"]
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        return [f"not well-formed XML ({error})"]
    problems = []
    if root.tag != f"{{{SVG_NAMESPACE}}}svg" or not root.get("viewBox"):
        problems.append("not an <svg> with a viewBox")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in {"script", "foreignObject", "image", "style"}:
            problems.append(f"has <{tag}>: figures are drawn, self-contained and unstyled")
        for name, value in element.attrib.items():
            if name.rsplit("}", 1)[-1] == "href" or name.startswith("on"):
                problems.append(f"{tag} has {name}={value!r}")
    if not any(element.tag.endswith("title") for element in root):
        problems.append("has no <title> for screen readers")
    return problems


def test_every_figure_is_a_self_contained_svg_of_our_own() -> None:
    problems = []
    for article in _articles():
        for _alt, src in content.figures(article.body):
            path = STATIC_ROOT / src.removeprefix("/static/")
            problems += [f"{_name(article)}: {src}: {p}" for p in _svg_problems(path)]
    assert not problems, problems


def test_every_translation_shows_the_figures_of_its_english_article() -> None:
    english = {a.slug: a for a in _articles() if a.language == "en"}
    different = []
    for article in _articles():
        original = english.get(article.slug)
        if article.language == "en" or original is None:
            continue
        theirs = [src for _alt, src in content.figures(article.body)]
        ours = [src for _alt, src in content.figures(original.body)]
        if theirs != ours:
            different.append(f"{_name(article)}: {theirs} != {ours}")
    assert not different, different


def test_no_two_articles_of_a_language_are_near_duplicates() -> None:
    by_language: dict[str, list[content.ArticleFile]] = defaultdict(list)
    for article in _articles():
        by_language[article.language].append(article)
    close = []
    for articles in by_language.values():
        shingles = {a.slug: _shingles(a.body) for a in articles}
        for first, second in itertools.combinations(articles, 2):
            a, b = shingles[first.slug], shingles[second.slug]
            if a and b:
                jaccard = len(a & b) / len(a | b)
                if jaccard >= MAX_JACCARD:
                    close.append(f"{_name(first)} ~ {_name(second)}: {jaccard:.2f}")
    assert not close, close


def test_no_paragraph_or_long_sentence_is_repeated_across_articles() -> None:
    seen: dict[tuple[str, str], str] = {}
    repeated = []
    for article in _articles():
        own = set()
        for sentence in _sentences(article.body):
            words = _words(sentence)
            if len(words) < LONG_SENTENCE_WORDS:
                continue
            key = (article.language, " ".join(words))
            if key in own:
                continue
            own.add(key)
            if key in seen and seen[key] != article.slug:
                repeated.append(f"{_name(article)} and {seen[key]}: {sentence[:80]}")
            seen.setdefault(key, article.slug)
    assert not repeated, repeated


def test_no_filler_placeholder_or_templated_openings() -> None:
    filler = [
        _name(a)
        for a in _articles()
        if (FILLER if a.language == "en" else FILLER_ANY_LANGUAGE).search(a.body)
    ]
    assert not filler, filler
    # The first five words of the body, with the article's own title words taken out:
    # the same frame opening many articles is a template, not guidance.
    openings: dict[tuple[str, str], list[str]] = defaultdict(list)
    for article in _articles():
        title = set(_words(article.title))
        frame = [w for w in _words(markdown.plain_text(article.body))[:8] if w not in title][:5]
        openings[(article.language, " ".join(frame))].append(_name(article))
    templated = {
        frame: names for frame, names in openings.items() if len(names) > TEMPLATED_OPENINGS_MAX
    }
    assert not templated, templated


def test_no_article_repeats_one_sentence_over_and_over() -> None:
    padded = []
    for article in _articles():
        # Table cells ("Yes", "No") repeat by nature; sentences of six words or more do not.
        sentences = Counter(
            " ".join(_words(s)) for s in _sentences(article.body) if len(_words(s)) >= 6
        )
        worst = max(sentences.values(), default=0)
        if worst > 2:
            padded.append(_name(article))
    assert not padded, padded


# --- The labelled questions -------------------------------------------------------------------


def test_there_are_enough_labelled_questions() -> None:
    answerable = [q for q in _questions() if q.answerable]
    unanswerable = [q for q in _questions() if not q.answerable]
    assert len(answerable) >= 150
    assert len(unanswerable) >= 20
    for language in content.LANGUAGES:
        asked = [q for q in _questions() if q.language == language]
        assert sum(1 for q in asked if q.answerable) >= 25, language
        assert sum(1 for q in asked if not q.answerable) >= 6, language


def test_every_article_is_translated_into_every_language_from_its_current_english() -> None:
    status = content.translation_status(_articles())
    assert not any(status.missing.values()), status.missing
    assert not any(status.stale.values()), status.stale


def test_every_question_names_articles_that_exist_in_its_language() -> None:
    versions = {(a.language, a.slug) for a in _articles()}
    english = {a.slug for a in _articles() if a.language == "en"}
    problems = []
    for question in _questions():
        for slug in question.articles:
            if slug not in english:
                problems.append(f"{question.source}: no article {slug!r}")
            elif question.language != "en" and (question.language, slug) not in versions:
                problems.append(f"{question.source}: {slug!r} has no {question.language} version")
    assert not problems, problems


def test_no_question_shares_four_consecutive_words_with_the_title_of_its_articles() -> None:
    titles = {(a.language, a.slug): a.title for a in _articles()}

    def grams(text: str) -> set[tuple[str, ...]]:
        words = _words(text)
        return {tuple(words[n : n + 4]) for n in range(len(words) - 3)}

    leaks = []
    for question in _questions():
        if question.question_set == BLIND_SET:
            # Written before the articles were read: a shared phrase ("from a csv file") is
            # the customer's own wording, and rewording it now would leak the titles into it.
            continue
        for slug in question.articles:
            for language in {question.language, "en"}:
                title = titles.get((language, slug))
                if title and grams(question.question) & grams(title):
                    leaks.append(f"{question.source}: {question.question!r} ~ {title!r}")
    assert not leaks, leaks


def test_every_labelled_section_is_a_heading_of_the_article_that_answers() -> None:
    """In the question's language: a translated article's headings have anchors of their own."""
    articles = {(a.language, a.slug): a for a in _articles()}
    wrong = []
    for question in _questions():
        if question.section is None:
            continue
        article = articles.get((question.language, question.articles[0]))
        anchors = [s.anchor for s in markdown.sections(article.body)] if article else []
        if question.section not in anchors:
            wrong.append(f"{question.source}: {question.section!r} not in {anchors}")
    assert not wrong, wrong


def test_the_blind_set_is_labelled_and_covers_nearly_every_product_question() -> None:
    blind = [q for q in _questions() if q.question_set == BLIND_SET]
    product = [q for q in blind if not q.off_topic]
    assert len(product) >= 150
    assert sum(1 for q in blind if q.off_topic) >= 30
    assert all(q.section is not None for q in product if q.answerable)
    assert sum(1 for q in product if q.answerable) / len(product) >= BLIND_COVERAGE


def test_no_question_is_asked_twice() -> None:
    counts = Counter((q.language, " ".join(_words(q.question))) for q in _questions())
    assert [q for q, n in counts.items() if n > 1] == []


def test_the_held_out_half_is_about_half_and_holds_both_kinds() -> None:
    held = [q for q in _questions() if content.is_held_out(q)]
    assert 0.35 <= len(held) / len(_questions()) <= 0.65
    assert any(q.answerable for q in held) and any(not q.answerable for q in held)
