""" "Was this helpful?" in a real browser, with htmx and without JavaScript: No, then what
was missing, by keyboard, one vote that changes; then the content-gap report where an editor
marks the group answered. axe on each page; screenshots in artifacts/article-vote-*.png and
artifacts/content-gaps*.png."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from chatbot import retrieval
from chatbot.models import Article, ArticleVote, ContentGapAnswer, Conversation, Surface, Turn
from chatbot.selectors import visitor_hash
from chatbot.services import article_vote_set, knowledge_load, synonyms_ensure_defaults
from hub.accounts.models import User
from routing.models import ProductArea
from tests.chatbot.conftest import FIXTURE_ROOT
from tests.conftest import PASSWORD
from tests.e2e.conftest import WIDE, assert_no_axe_violations

pytestmark = pytest.mark.e2e

ARTICLE = "/support/articles/fixture-reminders/"


@pytest.fixture
def knowledge(transactional_db: None, product_areas: list[ProductArea]) -> Iterator[None]:
    synonyms_ensure_defaults()
    knowledge_load(root=FIXTURE_ROOT)
    retrieval.forget_snapshot()
    yield
    retrieval.forget_snapshot()


def test_with_javascript_a_reader_says_no_and_what_was_missing_in_place_by_keyboard(
    page: Page,
    live_server: Any,
    knowledge: None,
    check: Callable[[Page, str], None],
) -> None:
    page.goto(f"{live_server.url}{ARTICLE}")
    question = page.get_by_role("group", name="Was this article helpful?")
    expect(question).to_be_visible()
    check(page, "article-vote-01-question")

    no = question.get_by_role("button", name="No", exact=True)
    no.focus()
    page.keyboard.press("Enter")
    confirmation = page.get_by_role("status").filter(has_text="Thank you for telling us")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_be_focused()
    expect(page).to_have_url(f"{live_server.url}{ARTICLE}")  # drawn in place, no reload
    expect(question.get_by_role("button", name="No", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    page.get_by_label("What was missing? (optional)").fill("How to remind people by SMS")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("What you told us helps us improve")
    expect(page.get_by_label("What was missing? (optional)")).to_have_value(
        "How to remind people by SMS"
    )
    check(page, "article-vote-02-no-with-what-was-missing")
    vote = ArticleVote.objects.get()
    assert (vote.answer, vote.missing, vote.user_id) == ("no", "How to remind people by SMS", None)

    # Too long: the error is said above the question and beside the field; nothing changes.
    page.get_by_label("What was missing? (optional)").fill("x" * 301)
    page.get_by_role("button", name="Send").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    expect(page.locator(".field__error")).to_contain_text("under 300 characters")
    check(page, "article-vote-03-error")
    assert ArticleVote.objects.get().missing == "How to remind people by SMS"

    # Changed to Yes: the same row.
    page.get_by_role("button", name="Yes", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("We are glad this article helped")
    assert list(ArticleVote.objects.values_list("answer", "missing")) == [("yes", "")]


def test_without_javascript_the_vote_posts_and_comes_back_at_the_question(
    browser: Browser,
    live_server: Any,
    knowledge: None,
    screenshot: Callable[[Page, str], Path],
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=WIDE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{ARTICLE}")
        page.get_by_role("button", name="No", exact=True).click()
        expect(page).to_have_url(f"{live_server.url}{ARTICLE}#helpful")
        expect(page.locator("#helpful")).to_contain_text("Thank you for telling us")
        # The confirmation is said at the question only, not at the top of the page.
        expect(page.locator(".messages")).to_have_count(0)
        page.get_by_label("What was missing? (optional)").fill("A list of the reminder limits")
        page.get_by_role("button", name="Send").click()
        expect(page).to_have_url(f"{live_server.url}{ARTICLE}#helpful")
        expect(page.locator("#helpful")).to_contain_text("What you told us helps us improve")
        screenshot(page, "article-vote-04-no-javascript")
        page.get_by_label("What was missing? (optional)").fill("y" * 400)
        page.get_by_role("button", name="Send").click()
        expect(page).to_have_title(re.compile(r"^Error:"))
        expect(page.locator(".error-summary")).to_contain_text("under 300 characters")
        screenshot(page, "article-vote-05-no-javascript-error")
    finally:
        context.close()
    vote = ArticleVote.objects.get()
    assert (vote.answer, vote.missing) == ("no", "A list of the reminder limits")


def test_an_editor_reads_the_content_gaps_and_marks_one_answered(
    page: Page,
    live_server: Any,
    knowledge: None,
    login: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
    axe: Callable[[Page], list[dict[str, Any]]],
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    questions = [
        "How do I export survey responses to Excel?",
        "Can I download my survey results as a CSV file?",
        "export responses to a spreadsheet",
        "How do I reset my password?",
        "I forgot my password, how can I change it?",
        "Wie exportiere ich Antworten nach Excel?",
        "Antworten nach Excel exportieren",
    ]
    for question in questions:
        conversation = Conversation.objects.create(
            user=standard_user,
            language="de" if question.startswith(("Wie", "Antworten")) else "en",
            surface=Surface.KNOWLEDGE_BASE,
            product_area=surveys_area,
        )
        Turn.objects.create(conversation=conversation, position=1, question=question)
    editor = User.objects.create_superuser(
        username="editor@hub.example", email="editor@hub.example", password=PASSWORD
    )
    reminders = Article.objects.get(slug="fixture-reminders")
    for n, answer in enumerate(["yes", "yes", "yes", "no"]):
        article_vote_set(
            article=reminders,
            answer=answer,
            language="en",
            visitor_hash=visitor_hash(f"{n:032d}"),
            missing="An example of the reminder email" if answer == "no" else None,
        )
    login(page, live_server, editor.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/chatbot/article/")
    row = page.locator("#result_list tbody tr", has_text="fixture-reminders")
    expect(row.locator("td.field-helpful_yes")).to_have_text("3")
    expect(row.locator("td.field-helpful_no")).to_have_text("1")
    expect(row.locator("td.field-helpful_share")).to_have_text("75%")
    screenshot(page, "article-votes-admin-list")
    results = page.locator("#changelist .results")
    cut_off = results.evaluate("(element) => element.scrollWidth - element.clientWidth")
    assert cut_off <= 0, f"the articles list is cut off by {cut_off} px at 1280 px"
    row.get_by_role("link", name="fixture-reminders").click()
    expect(page.locator(".field-readers_missing")).to_contain_text(
        "An example of the reminder email"
    )
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Content gaps").click()
    expect(page.get_by_role("heading", name="Open content gaps")).to_be_visible()
    gaps = page.locator("li.content-gap")
    expect(gaps).to_have_count(4)  # export, password, the German export, the reader's No
    expect(gaps.first.locator(".content-gap__count")).to_have_text("3")
    expect(gaps.first).to_contain_text("Surveys & XM Directory")
    page.wait_for_load_state("networkidle")
    assert_no_axe_violations(axe(page), "the content-gap report")
    screenshot(page, "content-gaps")

    first = gaps.first
    first.get_by_label("Answered by the article").fill("fixture-reminders")
    first.get_by_role("button", name="Mark answered").click()
    answered = page.locator("#answered + .results")
    expect(answered).to_contain_text("Chase the contacts who have not answered yet")
    expect(page.locator("li.content-gap")).to_have_count(3)
    assert ContentGapAnswer.objects.get().turns.count() == 3
    assert_no_axe_violations(axe(page), "the content-gap report, one answered")
    screenshot(page, "content-gaps-answered")
