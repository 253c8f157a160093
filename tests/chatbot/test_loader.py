"""Loading chatbot/knowledge into the database: idempotent, says what changed, refuses a
broken file by name and writes nothing, and indexes what it saved on commit."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chatbot import content
from chatbot.listings import ARTICLES_VERSION
from chatbot.models import Article, ArticleVersion, Passage
from chatbot.services import knowledge_index_sweep, knowledge_load
from routing.models import ProductArea
from tests.chatbot.conftest import FIXTURE_ROOT


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(FIXTURE_ROOT, root)
    return root


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / "articles" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


ARTICLE = """---
title: {title}
summary: A summary sentence.
updated: 2026-11-02
keywords: [one, two]
---
Some words of the intro.

## A heading

A body paragraph under the heading.
"""


def _indexing(callbacks: list[Callable[[], Any]]) -> list[Callable[[], Any]]:
    """The on-commit callbacks other than the listings' token (chatbot.listings)."""
    return [c for c in callbacks if getattr(c, "__self__", None) is not ARTICLES_VERSION]


@pytest.mark.django_db
def test_loading_creates_every_article_and_version_and_indexes_them_on_commit(
    knowledge: Path,
    product_areas: list[ProductArea],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = knowledge_load(root=knowledge)
    assert sorted(report.created) == [
        "en/hub/fixture-phone-callback",
        "en/sso/fixture-sso-okta",
        "en/surveys-xm-directory/fixture-reminders",
        "it/surveys-xm-directory/fixture-reminders",
    ]
    # One indexing task per version, queued on commit, and the listings' token replaced once.
    assert len(_indexing(callbacks)) == 4
    assert len(callbacks) == 5
    reminders = Article.objects.get(slug="fixture-reminders")
    assert reminders.product_area == ProductArea.objects.get(slug="surveys-xm-directory")
    assert Article.objects.get(slug="fixture-phone-callback").product_area is None
    english = reminders.versions.get(language="en")
    assert english.keywords == ["nudge", "follow-up", "non-responders"]
    passages = list(english.passages.order_by("position"))
    assert [p.heading for p in passages] == [
        "",
        "Schedule the follow-up",
        "When the option is missing",
    ]
    assert all(p.embedding for p in passages)
    # Each heading has its own vector; the intro has no heading.
    assert [bool(p.heading_embedding) for p in passages] == [False, True, True]
    assert english.indexed_hash


@pytest.mark.django_db
def test_loading_again_changes_nothing_and_says_so(
    knowledge: Path,
    product_areas: list[ProductArea],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        knowledge_load(root=knowledge)
    passages = set(Passage.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = knowledge_load(root=knowledge)
    assert not report.changed and len(report.unchanged) == 4
    assert callbacks == []
    assert set(Passage.objects.values_list("pk", flat=True)) == passages


@pytest.mark.django_db
def test_a_changed_file_updates_its_version_and_only_that_one_is_indexed_again(
    knowledge: Path,
    product_areas: list[ProductArea],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        knowledge_load(root=knowledge)
    okta = knowledge / "articles/en/sso/fixture-sso-okta.md"
    okta.write_text(okta.read_text().replace("Name ID format", "NameID format"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = knowledge_load(root=knowledge)
    assert report.updated == ["en/sso/fixture-sso-okta"]
    assert len(_indexing(callbacks)) == 1
    text = " ".join(
        Passage.objects.filter(article__slug="fixture-sso-okta").values_list(
            "plain_text", flat=True
        )
    )
    assert "NameID format" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("relative", "text", "message"),
    [
        ("en/sso/no-front-matter.md", "Just text\n", "must start with front matter"),
        ("en/sso/bad-date.md", ARTICLE.format(title="T").replace("2026-11-02", "soon"), "updated"),
        ("en/sso/no-title.md", ARTICLE.format(title='""'), "title is missing"),
        ("en/nowhere/x-y.md", ARTICLE.format(title="Elsewhere"), "unknown area folder"),
        ("ko/sso/x-y.md", ARTICLE.format(title="한국어"), "unknown language folder"),
        ("en/sso/Bad_Slug.md", ARTICLE.format(title="Bad slug"), "lower-case words"),
        ("en/sso/same-title.md", ARTICLE.format(title="Connect Okta for single sign-on"), "title"),
        ("en/hub/fixture-sso-okta.md", ARTICLE.format(title="Elsewhere too"), "is in area"),
        (
            "en/sso/figure-no-alt.md",
            ARTICLE.format(title="No alt") + "\n![](/static/img/articles/x.svg)\n",
            "needs alt text",
        ),
        (
            "en/sso/figure-elsewhere.md",
            ARTICLE.format(title="Elsewhere") + "\n![A map](https://example.com/map.png)\n",
            "must be an SVG under /static/img/articles/",
        ),
        (
            "en/sso/figure-inline.md",
            ARTICLE.format(title="Inline") + "\nSee ![a map](/static/img/articles/map.svg) here.\n",
            "on a line of its own",
        ),
    ],
)
def test_a_file_that_breaks_the_format_is_named_and_nothing_is_written(
    knowledge: Path, product_areas: list[ProductArea], relative: str, text: str, message: str
) -> None:
    _write(knowledge, relative, text)
    with pytest.raises(content.KnowledgeFormatError) as error:
        knowledge_load(root=knowledge)
    assert any(
        relative.split("/")[-1] in problem and message in problem
        for problem in error.value.problems
    ), error.value.problems
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_the_command_reports_the_problem_in_plain_words(
    knowledge: Path, product_areas: list[ProductArea]
) -> None:
    _write(knowledge, "en/sso/broken.md", "---\ntitle: [unclosed\n---\nbody")
    with pytest.raises(CommandError, match=r"broken\.md: front matter is not valid YAML"):
        call_command("knowledge_load", root=knowledge, stdout=StringIO())


@pytest.mark.django_db
def test_removed_files_unpublish_their_article_and_remove_their_translation(
    knowledge: Path,
    product_areas: list[ProductArea],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        knowledge_load(root=knowledge)
    admin_article = Article.objects.create(slug="made-in-the-admin")
    (knowledge / "articles/en/hub/fixture-phone-callback.md").unlink()
    (knowledge / "articles/it/surveys-xm-directory/fixture-reminders.md").unlink()
    with django_capture_on_commit_callbacks(execute=True):
        report = knowledge_load(root=knowledge)
    assert report.unpublished == ["fixture-phone-callback"]
    assert report.removed == ["it/fixture-reminders"]
    assert not Article.objects.get(slug="fixture-phone-callback").is_published
    assert not ArticleVersion.objects.filter(
        article__slug="fixture-reminders", language="it"
    ).exists()
    admin_article.refresh_from_db()
    assert admin_article.is_published  # an admin's own article is never touched


@pytest.mark.django_db
def test_the_command_loads_and_prints_what_changed(
    knowledge: Path, product_areas: list[ProductArea]
) -> None:
    out = StringIO()
    call_command("knowledge_load", root=knowledge, stdout=out)
    assert "4 created, 0 updated, 0 unchanged" in out.getvalue()


@pytest.mark.django_db
def test_the_check_reports_missing_and_stale_translations_and_fails_until_none_are_left(
    knowledge: Path,
) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="not translated, or their translation is stale"):
        call_command("knowledge_load", root=knowledge, check=True, stdout=out)
    report = out.getvalue()
    assert "4 article files and 3 labelled questions are well formed" in report
    assert "it: 2 not translated: fixture-phone-callback, fixture-sso-okta" in report
    assert "ja: 3 not translated: fixture-phone-callback, fixture-reminders, fixture-sso-okta" in (
        report
    )
    assert not Article.objects.exists()  # a check writes nothing

    # The English article changes after its Italian translation was made.
    english = knowledge / "articles" / "en" / "surveys-xm-directory" / "fixture-reminders.md"
    english.write_text(
        english.read_text(encoding="utf-8").replace("updated: 2026-10-02", "updated: 2026-11-20"),
        encoding="utf-8",
    )
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("knowledge_load", root=knowledge, check=True, stdout=out)
    assert (
        "it: fixture-reminders was translated from the English of 2026-10-02; the English was "
        "updated 2026-11-20"
    ) in out.getvalue()

    # Every article in every language, each made from the English as it is now.
    for file in content.article_files(knowledge):
        if file.language != content.SOURCE_LANGUAGE:
            continue
        text = file.path.read_text(encoding="utf-8")
        for language in content.LANGUAGES[1:]:
            translation = text.replace(
                f"updated: {file.updated}",
                f"updated: {file.updated}\nsource_updated: {file.updated}",
            ).replace("title: ", f"title: ({language}) ", 1)
            _write(knowledge, f"{language}/{file.area}/{file.slug}.md", translation)
    out = StringIO()
    call_command("knowledge_load", root=knowledge, check=True, stdout=out)
    assert "ja: every article is translated and up to date" in out.getvalue()


@pytest.mark.parametrize(
    ("relative", "front_matter", "problem"),
    [
        ("it/sso/fixture-sso-okta.md", "", "source_updated must be the date"),
        (
            "it/sso/fixture-sso-okta.md",
            "source_updated: 2027-01-01\n",
            "is later than the English version's updated",
        ),
        ("en/sso/fixture-new.md", "source_updated: 2026-11-02\n", "belongs to translations"),
        ("it/sso/fixture-nowhere.md", "source_updated: 2026-11-02\n", "no English article"),
    ],
)
def test_a_translation_must_say_which_english_version_it_was_made_from(
    knowledge: Path, relative: str, front_matter: str, problem: str
) -> None:
    text = ARTICLE.format(title="Una traduzione").replace("keywords:", f"{front_matter}keywords:")
    _write(knowledge, relative, text)
    with pytest.raises(content.KnowledgeFormatError, match=problem):
        content.article_files(knowledge)


@pytest.mark.django_db
def test_the_sweep_queues_versions_whose_task_never_ran(
    knowledge: Path,
    product_areas: list[ProductArea],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    knowledge_load(root=knowledge)  # the on-commit tasks never run: as if the broker was down
    assert not Passage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert knowledge_index_sweep() == 4
    assert Passage.objects.filter(article__slug="fixture-sso-okta").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert knowledge_index_sweep() == 0


@pytest.mark.django_db
def test_indexing_the_same_version_twice_makes_one_set_of_passages(
    fixture_knowledge: dict[str, Article],
) -> None:
    from chatbot.services import article_version_index

    version = ArticleVersion.objects.get(article__slug="fixture-sso-okta", language="en")
    before = list(version.passages.values_list("pk", flat=True))
    assert article_version_index(version_id=version.pk) is False
    assert list(version.passages.values_list("pk", flat=True)) == before
    assert article_version_index(version_id=version.pk, force=True) is True
    assert version.passages.count() == len(before)


@pytest.mark.django_db
def test_bootstrap_loads_and_indexes_the_real_knowledge_base_once() -> None:
    out = StringIO()
    call_command("bootstrap", stdout=out)
    english = sum(1 for a in content.article_files() if a.language == "en")
    assert Article.objects.count() == english
    assert "knowledge base: " in out.getvalue()
    assert not ArticleVersion.objects.filter(indexed_hash="").exists()
    passages = set(Passage.objects.values_list("pk", flat=True))
    again = StringIO()
    call_command("bootstrap", stdout=again)
    assert "0 created, 0 updated" in again.getvalue()
    assert set(Passage.objects.values_list("pk", flat=True)) == passages


def _questions_file(root: Path, text: str) -> None:
    (root / "questions" / "extra.yaml").write_text(text, encoding="utf-8")


def test_a_question_can_name_its_section_or_say_it_is_off_topic_or_not_covered(
    knowledge: Path,
) -> None:
    _questions_file(
        knowledge,
        '- question: "where is the metadata URL"\n'
        "  articles: [fixture-sso-okta]\n"
        '  section: "a-heading"\n'
        '- question: "tell me a joke"\n'
        "  articles: []\n"
        "  off_topic: true\n"
        '- question: "can I survey by carrier pigeon"\n'
        "  articles: []\n"
        "  covered: false\n",
    )
    questions = {q.question: q for q in content.labelled_questions(knowledge)}
    assert questions["where is the metadata URL"].section == "a-heading"
    assert questions["tell me a joke"].off_topic and not questions["tell me a joke"].answerable
    assert not questions["can I survey by carrier pigeon"].off_topic
    assert questions["can I survey by carrier pigeon"].section is None


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('  articles: []\n  section: "a-heading"\n', "a section needs the article"),
        ("  articles: [fixture-sso-okta]\n  covered: false\n", "has articles: []"),
        ("  articles: [fixture-sso-okta]\n  off_topic: true\n", "has articles: []"),
        ("  articles: []\n  off_topic: yes please\n", "true or false"),
        ("  articles: [fixture-sso-okta]\n  section: [a-heading]\n", "anchor of a heading"),
    ],
)
def test_labels_that_contradict_themselves_are_refused(
    knowledge: Path, entry: str, problem: str
) -> None:
    _questions_file(knowledge, f'- question: "a question"\n{entry}')
    with pytest.raises(content.KnowledgeFormatError, match=re.escape(problem)):
        content.labelled_questions(knowledge)


def test_a_figure_with_alt_text_from_our_static_files_is_accepted(knowledge: Path) -> None:
    path = _write(
        knowledge,
        "en/sso/with-figure.md",
        ARTICLE.format(title="With a figure")
        + "\n![The three stages of a connection](/static/img/articles/with-figure.svg)\n",
    )
    article = content.article_file_read(path, root=knowledge)
    assert content.figures(article.body) == [
        ("The three stages of a connection", "/static/img/articles/with-figure.svg")
    ]
