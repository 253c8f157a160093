"""The support site and the assistant's URLs, for every role (R-KB, R-BOT, R-BOT-OFF):
anonymous visitors read and are asked to sign in; FedRAMP users never get the assistant
(404); nobody reaches another person's conversation; the pages' queries stay fixed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django import forms as django_forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chatbot import listings
from chatbot.forms import QuestionForm
from chatbot.models import (
    Article,
    ArticleVersion,
    ArticleVote,
    ContentGapAnswer,
    Conversation,
    Feedback,
    Surface,
    Turn,
)
from chatbot.services import conversation_ask, conversation_start
from hub.accounts.models import User
from routing.configuration import configuration_changed, current_configuration
from routing.models import ProductArea

ROLES = [
    "anonymous",
    "standard_user",
    "brand_admin",
    "seat_holder",
    "fedramp_user",
    "outsider",
    "agent",
]
READING_PAGES = [
    "/support/",
    "/support/surveys-xm-directory/",
    "/support/hub/",
    "/support/articles/fixture-sso-okta/",
    "/support/search/?q=okta+error",
]
HTMX = {"HTTP_HX_REQUEST": "true"}


def _client(
    client: Client, request: pytest.FixtureRequest, role: str
) -> tuple[Client, User | None]:
    if role == "anonymous":
        return client, None
    user: User = request.getfixturevalue(role)
    client.force_login(user)
    return client, user


def _main(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", READING_PAGES)
def test_everyone_reads_the_support_site_with_contact_support_on_every_page(
    client: Client,
    request: pytest.FixtureRequest,
    fixture_knowledge: dict[str, Article],
    role: str,
    url: str,
) -> None:
    client, _user = _client(client, request, role)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # Agents answer support: the customers' button is not shown to them.
    shows_contact = 'class="contact-support" href="/hub/"' in html
    assert shows_contact is (role != "agent")
    launcher = "data-assistant-launcher" in html
    assert launcher is (role != "fedramp_user")  # R-BOT-OFF: never the launcher for FedRAMP
    if role == "fedramp_user":
        assert "/support/assistant/" not in html


@pytest.mark.django_db
def test_the_home_page_lists_every_area_with_its_articles_and_the_hub_section(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    main = _main(client.get("/support/"))
    assert "Surveys &amp; XM Directory" in main
    assert "Using the Customer Success Hub" in main
    title = "Chase the contacts who have not answered yet"
    assert f'href="/support/articles/fixture-reminders/">{title}</a>' in main
    assert 'href="/support/articles/fixture-phone-callback/"' in main
    assert 'role="search"' in main


@pytest.mark.django_db
def test_an_article_renders_its_markdown_with_section_anchors_and_our_links(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    main = _main(client.get("/support/articles/fixture-reminders/"))
    assert "<h1>Chase the contacts who have not answered yet</h1>" in main
    assert '<h2 id="schedule-the-follow-up">Schedule the follow-up</h2>' in main
    assert '<a href="/support/articles/fixture-sso-okta/"' in main
    assert "Updated 2 October 2026" in main


@pytest.mark.django_db
def test_an_article_comes_in_the_readers_language_and_falls_back_to_english_with_a_note(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    client.cookies["django_language"] = "it"
    italian = _main(client.get("/support/articles/fixture-reminders/"))
    assert "Sollecitare i contatti che non hanno ancora risposto" in italian
    assert 'lang="en"' not in italian
    english = _main(client.get("/support/articles/fixture-sso-okta/"))
    assert "Connect Okta for single sign-on" in english
    assert '<article class="kb-article" lang="en">' in english
    assert "kb-article__fallback" in english


@pytest.mark.django_db
def test_a_translation_older_than_its_english_article_says_it_may_be_out_of_date(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    client.cookies["django_language"] = "it"
    assert "kb-article__stale" not in _main(client.get("/support/articles/fixture-reminders/"))
    ArticleVersion.objects.filter(article__slug="fixture-reminders", language="en").update(
        updated=date(2026, 11, 20)
    )
    italian = _main(client.get("/support/articles/fixture-reminders/"))
    assert "kb-article__stale" in italian
    assert "20 novembre 2026" in italian  # when the English changed, as Italian writes it
    assert 'href="/support/articles/fixture-reminders/?language=en" hreflang="en"' in italian
    english = _main(client.get("/support/articles/fixture-reminders/?language=en"))
    assert "kb-article__stale" not in english


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/support/articles/nothing-here/", "/support/no-such-area/"])
def test_unknown_articles_and_areas_are_404(
    client: Client, fixture_knowledge: dict[str, Article], url: str
) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_unpublished_articles_and_inactive_areas_cannot_be_read(
    client: Client, fixture_knowledge: dict[str, Article], agent: User
) -> None:
    Article.objects.filter(slug="fixture-sso-okta").update(is_published=False)
    client.force_login(agent)
    assert client.get("/support/articles/fixture-sso-okta/").status_code == 404
    assert "fixture-sso-okta" not in client.get("/support/").content.decode()
    ProductArea.objects.filter(slug="surveys-xm-directory").update(is_active=False)
    configuration_changed()
    assert client.get("/support/articles/fixture-reminders/").status_code == 404
    assert client.get("/support/surveys-xm-directory/").status_code == 404


@pytest.mark.django_db
def test_search_finds_articles_and_says_when_nothing_matched(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    found = _main(client.get("/support/search/?q=okta+error+after+redirect"))
    assert "1 article for" in found or "articles for" in found
    assert 'href="/support/articles/fixture-sso-okta/#sign-in-fails-after-the-redirect"' in found
    nothing = _main(client.get("/support/search/?q=zzzqqq"))
    assert "0 articles for" in nothing and "Nothing matched" in nothing
    assert client.get("/support/search/?q=" + "x" * 5000).status_code == 200


@pytest.mark.django_db
def test_search_in_another_language_finds_its_articles_then_those_not_translated_yet(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    client.cookies["django_language"] = "it"
    italian = _main(client.get("/support/search/?q=sollecito+promemoria"))
    assert 'href="/support/articles/fixture-reminders/' in italian
    # The Okta article is in English only: found by its English words.
    untranslated = _main(client.get("/support/search/?q=okta+saml"))
    assert 'href="/support/articles/fixture-sso-okta/' in untranslated


# --- Query counts -----------------------------------------------------------------------------


def _more_articles(count: int) -> None:
    area = ProductArea.objects.get(slug="surveys-xm-directory")
    for n in range(count):
        article = Article.objects.create(slug=f"extra-{n}", product_area=area)
        for language in ("en", "it"):
            ArticleVersion.objects.create(
                article=article, language=language, title=f"Extra {language} {n}",
                summary="A summary.", body="## Heading\n\nBody.", updated=date(2026, 5, 1),
            )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # The cards: versions in the reader's language and English (areas and their names
        # are read once per change, not per request).
        ("/support/", 1),
        ("/support/surveys-xm-directory/", 1),
        ("/support/articles/fixture-reminders/", 4),  # article, versions, names, linkable
    ],
)
def test_the_support_pages_make_a_fixed_number_of_queries(
    client: Client,
    fixture_knowledge: dict[str, Article],
    django_assert_num_queries: Callable[..., Any],
    url: str,
    queries: int,
) -> None:
    current_configuration()
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    _more_articles(12)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_signed_in_reader_adds_only_the_session_and_the_fedramp_check(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    client.force_login(standard_user)
    client.get("/support/")
    # Both reads draw the listing anew (a drawn one costs no query at all).
    listings.ARTICLES_VERSION.changed()
    with CaptureQueriesContext(connection) as few:
        client.get("/support/")
    _more_articles(12)
    with CaptureQueriesContext(connection) as more:
        client.get("/support/")
    assert len(more) == len(few) <= 4 + 6


@pytest.mark.django_db
def test_a_listing_is_drawn_once_and_again_as_soon_as_an_article_or_an_area_changes(
    client: Client,
    fixture_knowledge: dict[str, Article],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    current_configuration()
    home, area = "/support/", "/support/surveys-xm-directory/"
    client.get(home), client.get(area)
    with django_assert_num_queries(0):
        assert client.get(home).status_code == client.get(area).status_code == 200
    version = ArticleVersion.objects.get(article__slug="fixture-reminders", language="en")
    version.title = "Remind the contacts who are still silent"
    version.save()
    assert "Remind the contacts who are still silent" in _main(client.get(home))
    assert "Remind the contacts who are still silent" in _main(client.get(area))
    # Each language has its own listing: the Italian one still shows its own title.
    client.cookies["django_language"] = "it"
    italian = _main(client.get(home))
    assert "Remind the contacts who are still silent" not in italian
    assert 'href="/support/articles/fixture-reminders/"' in italian
    del client.cookies["django_language"]
    ProductArea.objects.filter(slug="surveys-xm-directory").update(is_active=False)
    configuration_changed()
    assert "fixture-reminders" not in _main(client.get(home))
    assert client.get(area).status_code == 404


# --- The assistant on the support site ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_assistant_page_and_panel_by_role(
    client: Client, request: pytest.FixtureRequest, fixture_knowledge: dict[str, Article], role: str
) -> None:
    client, _user = _client(client, request, role)
    page = client.get("/support/assistant/?next=/support/sso/")
    panel = client.get("/support/assistant/panel/?next=/support/sso/", **HTMX)
    if role == "fedramp_user":
        assert page.status_code == panel.status_code == 404
        return
    assert page.status_code == panel.status_code == 200
    if role == "anonymous":
        assert "Sign in to ask the assistant" in page.content.decode()
        assert 'href="/accounts/login/?next=%2Fsupport%2Fsso%2F"' in panel.content.decode()
        assert 'name="question"' not in panel.content.decode()
    else:
        assert 'name="question"' in page.content.decode()
        assert 'name="question"' in panel.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url", ["//evil.example/", "https://evil.example/", "/\\evil.example"]
)
def test_the_way_back_from_the_assistant_never_leaves_the_site(
    client: Client, fixture_knowledge: dict[str, Article], next_url: str
) -> None:
    main = _main(client.get("/support/assistant/", {"next": next_url}))
    assert "evil.example" not in main
    assert (
        'class="back-link" href="/support/"'
        in client.get("/support/assistant/", {"next": next_url}).content.decode()
    )


@pytest.mark.django_db
def test_the_panel_without_htmx_is_the_plain_page(
    client: Client, fixture_knowledge: dict[str, Article]
) -> None:
    response = client.get("/support/assistant/panel/?next=/support/")
    assert response.status_code == 302
    assert response["Location"].startswith("/support/assistant/?")


@pytest.mark.smoke
@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_asking_on_the_support_site_by_role(
    client: Client, request: pytest.FixtureRequest, fixture_knowledge: dict[str, Article], role: str
) -> None:
    client, user = _client(client, request, role)
    response = client.post(
        "/support/assistant/?next=/support/sso/&area=sso",
        {"question": "okta error after the redirect"},
    )
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/?next="
        )
        assert not Turn.objects.exists()
        return
    if role == "fedramp_user":
        assert response.status_code == 404
        assert not Conversation.objects.exists()
        return
    assert response.status_code == 302
    assert response["Location"].endswith("#turn-1")
    conversation = Conversation.objects.get()
    assert conversation.user == user and conversation.surface == Surface.KNOWLEDGE_BASE
    assert conversation.product_area and conversation.product_area.slug == "sso"
    page = _main(client.get(response["Location"]))
    assert "okta error after the redirect" in page
    assert 'href="/support/articles/fixture-sso-okta/#sign-in-fails-after-the-redirect"' in page
    # The next question joins the same conversation (kept in the session).
    client.post("/support/assistant/?next=/support/sso/", {"question": "how do I nudge people?"})
    assert Conversation.objects.count() == 1 and conversation.turns.count() == 2


@pytest.mark.django_db
def test_an_htmx_question_returns_just_the_new_turn(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    client.force_login(standard_user)
    response = client.post(
        "/support/assistant/?next=/support/", {"question": "okta error after the redirect"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<li class="turn" id="turn-1">')
    conversation = Conversation.objects.get()
    assert (
        f'id="assistant-conversation" value="{conversation.public_id}" hx-swap-oob="true"' in html
    )
    assert "<html" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "marker"),
    [("fr", "(en anglais)"), ("de", "(auf Englisch)"), ("ja", "（英語）")],
)
def test_an_english_source_quoted_to_another_language_says_so_as_that_language_writes_it(
    client: Client,
    fixture_knowledge: dict[str, Article],
    standard_user: User,
    language: str,
    marker: str,
) -> None:
    client.force_login(standard_user)
    response = client.post("/support/assistant/", {"question": "okta error after the redirect"})
    # Asked in a language other than English, answered from an article only in English.
    Turn.objects.update(question="Nach der Weiterleitung meldet Okta einen Fehler")
    standard_user.preferred_language = language
    standard_user.save(update_fields=["preferred_language"])
    page = _main(client.get(response["Location"]))
    assert re.search(rf'class="turn__language"[^>]*>\s*{re.escape(marker)}</span>', page)
    # Japanese writes its brackets full width, not as ASCII ones around its words.
    assert "(英語)" not in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("question", "message"),
    [("   ", "Type your question"), ("x" * 501, "Keep your question under 500 characters")],
)
def test_a_bad_question_gets_a_clear_error_and_saves_nothing(
    client: Client,
    fixture_knowledge: dict[str, Article],
    standard_user: User,
    question: str,
    message: str,
) -> None:
    client.force_login(standard_user)
    page = client.post("/support/assistant/", {"question": question})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Error:" in html and "There is a problem" in html and message in html
    partial = client.post("/support/assistant/", {"question": question}, **HTMX).content.decode()
    assert 'id="assistant-error" hx-swap-oob="true"' in partial and message in partial
    assert not Turn.objects.exists()


@pytest.mark.django_db
def test_the_empty_question_drawn_once_still_shows_errors_and_the_readers_language(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    """The empty question box is drawn once per language; a question sent back with an
    error is drawn with it, and the next empty box is empty again."""
    client.force_login(standard_user)
    assert '<label class="field__label" for="id_question">Your question</label>' in (
        client.get("/support/assistant/").content.decode()
    )
    refused = client.post("/support/assistant/", {"question": "x" * 501}).content.decode()
    assert "Keep your question under 500 characters" in refused
    assert 'aria-invalid="true"' in refused
    again = client.get("/support/assistant/").content.decode()
    assert "Keep your question under 500 characters" not in again
    assert 'aria-invalid="true"' not in again
    standard_user.preferred_language = "it"
    standard_user.save()
    assert '<label class="field__label" for="id_question">La tua domanda</label>' in (
        client.get("/support/assistant/").content.decode()
    )


@pytest.mark.django_db
def test_an_off_topic_question_is_told_the_assistant_does_not_know_and_offered_contact(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    client.force_login(standard_user)
    response = client.post(
        "/support/assistant/", {"question": "what's the weather in Rome tomorrow?"}
    )
    page = _main(client.get(response["Location"]))
    assert "Sorry, I don&#x27;t know." in page or "Sorry, I don't know." in page
    assert 'href="/hub/technical/areas/?conversation=' in page
    assert "Did this answer your question?" not in page
    assert Turn.objects.get().answered is False


def _conversation_of(user: User, *, surface: Surface = Surface.KNOWLEDGE_BASE) -> Conversation:
    conversation = conversation_start(user=user, surface=surface, language="en")
    conversation_ask(conversation=conversation, question="okta error after the redirect")
    return conversation


@pytest.mark.django_db
def test_feedback_is_stored_and_only_the_owner_may_give_it(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User, outsider: User
) -> None:
    conversation = _conversation_of(standard_user)
    data = {"conversation": conversation.public_id, "position": 1, "answer": "no"}
    client.force_login(outsider)
    assert client.post("/support/assistant/feedback/", data).status_code == 404
    assert Turn.objects.get().feedback == ""
    client.force_login(standard_user)
    response = client.post("/support/assistant/feedback/?next=/support/", data)
    assert response.status_code == 302 and response["Location"].endswith("#question")
    assert Turn.objects.get().feedback == Feedback.NO
    partial = client.post(
        "/support/assistant/feedback/", {**data, "answer": "yes"}, **HTMX
    ).content.decode()
    assert "glad it helped" in partial and Turn.objects.get().feedback == Feedback.YES
    assert (
        client.post("/support/assistant/feedback/", {**data, "answer": "maybe"}).status_code == 404
    )


@pytest.mark.django_db
def test_restarting_starts_a_new_conversation_and_keeps_the_old_one(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    client.force_login(standard_user)
    client.post("/support/assistant/", {"question": "okta error after the redirect"})
    assert client.post("/support/assistant/restart/?next=/support/").status_code == 302
    client.post("/support/assistant/", {"question": "how do I nudge people?"})
    assert Conversation.objects.count() == 2


@pytest.mark.django_db
def test_fedramp_users_get_404_from_every_assistant_url(
    client: Client, fixture_knowledge: dict[str, Article], fedramp_user: User, standard_user: User
) -> None:
    conversation = _conversation_of(standard_user)
    client.force_login(fedramp_user)
    for url in [
        "/support/assistant/feedback/",
        "/support/assistant/restart/",
        "/support/assistant/",
    ]:
        assert (
            client.post(
                url,
                {
                    "conversation": conversation.public_id,
                    "position": 1,
                    "answer": "yes",
                    "question": "x",
                },
            ).status_code
            == 404
        )


@pytest.mark.django_db
def test_questions_are_limited_per_minute(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User, settings: Any
) -> None:
    from chatbot import services

    client.force_login(standard_user)
    for _ in range(services.QUESTIONS_PER_MINUTE):
        client.post("/support/assistant/", {"question": "okta"})
    page = client.post("/support/assistant/", {"question": "okta"}).content.decode()
    assert "Wait a minute" in page
    assert Turn.objects.count() == services.QUESTIONS_PER_MINUTE


def test_the_brief_names_every_role() -> None:
    assert re.fullmatch(r"[a-z_]+", "_".join(ROLES))


@pytest.mark.django_db
def test_a_refused_first_question_leaves_no_empty_conversation_behind(
    client: Client, standard_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chatbot.services.QUESTIONS_PER_MINUTE", 0)
    client.force_login(standard_user)
    response = client.post("/support/assistant/", {"question": "How do I export responses?"})
    assert response.status_code == 200
    assert "Wait a minute" in response.content.decode()
    assert not Conversation.objects.filter(user=standard_user).exists()


@pytest.mark.django_db
def test_a_question_in_italian_on_english_pages_is_answered_and_linked_in_italian(
    client: Client, fixture_knowledge: dict[str, Article], standard_user: User
) -> None:
    client.force_login(standard_user)
    page = client.post(
        "/support/assistant/",
        {"question": "come programmo un sollecito per chi non ha finito?"},
        follow=True,
    )
    assert page.status_code == 200
    main = _main(page)
    assert "Programma sollecito" in main, "the Italian version is quoted"
    link = re.search(r'href="(/support/articles/fixture-reminders/\?language=it[^"]*)"', main)
    assert link, "the source links to the Italian version"
    article = _main(client.get(link.group(1).replace("&amp;", "&")))
    assert '<article class="kb-article" lang="it">' in article
    assert "not available in your language" not in article


# --- "Was this helpful?" and the content-gap report, for every role ---------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_role_answers_was_this_helpful_and_sees_only_their_own_answer(
    client: Client, request: pytest.FixtureRequest, fixture_knowledge: dict[str, Article], role: str
) -> None:
    client, user = _client(client, request, role)
    url = "/support/articles/fixture-reminders/"
    response = client.post(f"{url}helpful/", {"answer": "no", "language": "en"})
    assert response.status_code == 302
    assert response["Location"] == f"{url}#helpful"
    vote = ArticleVote.objects.get()
    assert vote.user == user
    assert 'aria-pressed="true"' in client.get(url).content.decode()
    # Nobody else sees it as theirs.
    assert 'aria-pressed="true"' not in Client().get(url).content.decode()


GAP_URLS = [
    ("get", "/admin/chatbot/article/content-gaps/", 200),
    ("post", "/admin/chatbot/article/content-gaps/answered/", 403),
    ("post", "/admin/chatbot/article/content-gaps/answered/1/undo/", 403),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "staff_status"), GAP_URLS)
def test_only_staff_reach_the_content_gap_report_and_only_editors_mark(
    client: Client,
    request: pytest.FixtureRequest,
    fixture_knowledge: dict[str, Article],
    role: str,
    method: str,
    url: str,
    staff_status: int,
) -> None:
    client, _user = _client(client, request, role)
    if method == "post":
        response = client.post(url, {"article": "fixture-reminders", "turn": ["1"]})
    else:
        response = client.get(url)
    if role == "agent":
        # Agents read the report; marking is for those who may change articles.
        assert response.status_code == staff_status
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
    assert not ContentGapAnswer.objects.exists()


@pytest.mark.parametrize("data", [None, {"question": ""}, {"question": 'a "quoted" <question>'}])
def test_the_question_box_is_written_as_djangos_own_text_input_writes_it(
    data: dict[str, str] | None,
) -> None:
    drawn = QuestionForm(data)
    stock = QuestionForm(data)
    stock.fields["question"].widget = django_forms.TextInput(
        attrs=drawn.fields["question"].widget.attrs
    )
    assert str(drawn["question"]) == str(stock["question"])
