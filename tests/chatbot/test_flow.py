"""The assistant in the hub flow (R-BOT, R-BOT-OFF): questions after the product area, the
Yes/No, and No → Contact support → a form that opens with the question as its subject and
makes a ticket carrying the conversation; the brand administrator's figures; the admin."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chatbot.models import Article, ArticleVersion, Conversation, Feedback, Surface, Turn
from chatbot.selectors import assistant_figures
from chatbot.services import conversation_ask, conversation_start, turn_feedback_set
from hub.accounts.models import User
from routing.models import Agent, ProductArea
from tests.hub.contact_world import open_world
from tickets.models import Ticket
from tickets.selectors import callback_screen_context

AREA = "/hub/technical/areas/surveys-xm-directory/"
HTMX = {"HTTP_HX_REQUEST": "true"}
QUESTION = "how do I nudge people who never finished?"
# A phrased answer, as a language model would write it.
ANSWER = "Send a reminder from the Distributions tab."


@pytest.fixture
def world(fixture_knowledge: dict[str, Article]) -> list[Agent]:
    return open_world()


def _main(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.django_db
def test_a_member_asks_several_questions_and_the_conversation_is_kept(
    client: Client, world: list[Agent], standard_user: User
) -> None:
    client.force_login(standard_user)
    first = client.post(AREA, {"question": QUESTION})
    conversation = Conversation.objects.get()
    assert first.status_code == 302
    assert first["Location"] == f"{AREA}?conversation={conversation.public_id}#turn-1"
    assert (
        conversation.surface == Surface.HUB
        and conversation.product_area.slug == "surveys-xm-directory"
    )
    assert conversation.organisation == standard_user.membership.organisation
    second = client.post(
        AREA, {"question": "okta error after the redirect", "conversation": conversation.public_id}
    )
    assert second["Location"].endswith("#turn-2")
    page = _main(client.get(first["Location"]))
    assert page.index(QUESTION) < page.index("okta error after the redirect")
    assert page.count("Did this answer your question?") == 2
    assert 'href="/support/articles/fixture-reminders/#schedule-the-follow-up"' in page
    turn = conversation.turns.get(position=1)
    assert turn.answered and turn.score > 0
    assert list(turn.cited_articles.values_list("slug", flat=True)) == ["fixture-reminders"]


@pytest.mark.django_db
def test_htmx_appends_the_turn_in_place(
    client: Client, world: list[Agent], standard_user: User
) -> None:
    client.force_login(standard_user)
    html = client.post(AREA, {"question": QUESTION}, **HTMX).content.decode()
    assert html.lstrip().startswith('<li class="turn" id="turn-1">')
    assert 'hx-swap-oob="true"' in html


@pytest.mark.django_db
def test_no_offers_another_question_or_contact_support_with_the_conversation(
    client: Client, world: list[Agent], standard_user: User
) -> None:
    client.force_login(standard_user)
    client.post(AREA, {"question": QUESTION})
    conversation = Conversation.objects.get()
    response = client.post(
        f"{AREA}assistant/feedback/",
        {"conversation": conversation.public_id, "position": 1, "answer": "no"},
    )
    assert response["Location"] == f"{AREA}?conversation={conversation.public_id}#question"
    page = _main(client.get(response["Location"]))
    assert "Ask another question" in page
    contact = f'href="{AREA}contact/?conversation={conversation.public_id}"'
    assert contact in page
    methods = _main(client.get(f"{AREA}contact/?conversation={conversation.public_id}"))
    assert "Your conversation with the assistant goes with your request" in methods
    assert f"contact/email/?language=en&amp;conversation={conversation.public_id}" in methods
    assert f"contact/phone/?language=en&amp;conversation={conversation.public_id}" in methods


@pytest.mark.django_db
def test_the_picker_drawn_for_others_still_carries_each_members_own_conversation(
    client: Client, world: list[Agent], standard_user: User
) -> None:
    client.force_login(standard_user)
    plain = _main(client.get(f"{AREA}contact/"))
    assert "Your conversation with the assistant goes with your request" not in plain
    assert 'name="conversation"' not in plain
    client.post(AREA, {"question": QUESTION})
    conversation = Conversation.objects.get()
    carried = _main(client.get(f"{AREA}contact/?conversation={conversation.public_id}"))
    assert "Your conversation with the assistant goes with your request" in carried
    assert f'<input type="hidden" name="conversation" value="{conversation.public_id}">' in (
        carried
    )
    assert '<option value="en" selected>' in carried
    italian = _main(client.get(f"{AREA}contact/", {"language": "it"}))
    assert '<option value="it" selected>' in italian
    assert '<option value="en" selected>' not in italian
    assert _main(client.get(f"{AREA}contact/")) == plain


@pytest.mark.django_db
def test_the_email_form_opens_with_the_question_and_the_ticket_carries_the_conversation(
    client: Client, world: list[Agent], standard_user: User
) -> None:
    client.force_login(standard_user)
    conversation = conversation_start(
        user=standard_user,
        surface=Surface.HUB,
        language="en",
        product_area=ProductArea.objects.get(slug="surveys-xm-directory"),
    )
    conversation_ask(conversation=conversation, question=QUESTION)
    conversation_ask(conversation=conversation, question="what's the weather in Rome?")
    turn_feedback_set(turn=conversation.turns.get(position=1), feedback=Feedback.NO)
    form = client.get(f"{AREA}contact/email/?language=en&conversation={conversation.public_id}")
    html = form.content.decode()
    assert f'value="{QUESTION}"' in html  # the subject: the question answered No
    assert f'name="conversation" value="{conversation.public_id}"' in html
    assert "Your conversation with the assistant is attached to this request" in html
    response = client.post(
        f"{AREA}contact/email/",
        {
            "idempotency_key": uuid.uuid4().hex,
            "language": "en",
            "subject": QUESTION,
            "description": "The reminder option is greyed out for my survey.",
            "conversation": conversation.public_id,
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/hub/requests/{ticket.number}/"
    conversation.refresh_from_db()
    assert conversation.ticket == ticket
    transcript = ticket.events.get(kind="created").data["assistant_conversation"]
    assert [turn["question"] for turn in transcript] == [QUESTION, "what's the weather in Rome?"]
    assert transcript[0]["articles"][0]["url"] == "/support/articles/fixture-reminders/"
    assert "Schedule follow-up" in transcript[0]["answer"]
    assert "found nothing relevant" in transcript[1]["answer"] and transcript[1]["articles"] == []
    assert set(transcript[0]) >= {"question", "answer", "articles"}
    screen = callback_screen_context(ticket)
    assert screen["conversation"][0]["question"] == QUESTION


@pytest.mark.django_db
def test_a_phone_callback_carries_the_conversation_too(
    client: Client, world: list[Agent], standard_user: User
) -> None:
    client.force_login(standard_user)
    client.post(AREA, {"question": QUESTION})
    conversation = Conversation.objects.get()
    client.post(
        f"{AREA}contact/phone/",
        {
            "idempotency_key": uuid.uuid4().hex, "area": "surveys-xm-directory", "language": "en",
            "country": "GB", "number": "020 7946 0123", "email": standard_user.email,
            "subject": QUESTION, "recording_consent": "on", "conversation": conversation.public_id,
        },
    )  # fmt: skip
    ticket = Ticket.objects.get()
    assert (
        ticket.events.get(kind="created").data["assistant_conversation"][0]["question"] == QUESTION
    )
    conversation.refresh_from_db()
    assert conversation.ticket == ticket


@pytest.mark.django_db
def test_nobody_opens_a_form_or_the_methods_with_someone_elses_conversation(
    client: Client, world: list[Agent], standard_user: User, outsider: User
) -> None:
    conversation = conversation_start(user=standard_user, surface=Surface.HUB, language="en")
    conversation_ask(conversation=conversation, question=QUESTION)
    client.force_login(outsider)
    for url in [
        f"{AREA}?conversation={conversation.public_id}",
        f"{AREA}contact/?conversation={conversation.public_id}",
        f"{AREA}contact/email/?conversation={conversation.public_id}",
        f"{AREA}contact/phone/?conversation={conversation.public_id}",
        f"/hub/technical/areas/?conversation={conversation.public_id}",
    ]:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"{AREA}assistant/feedback/",
            {"conversation": conversation.public_id, "position": 1, "answer": "yes"},
        ).status_code
        == 404
    )
    # A posted id that is not theirs is ignored: the ticket carries nothing of it.
    client.post(
        f"{AREA}contact/email/",
        {"idempotency_key": uuid.uuid4().hex, "language": "en", "subject": "Mine",
         "description": "My own problem.", "conversation": conversation.public_id},
    )  # fmt: skip
    ticket = Ticket.objects.get()
    assert "assistant_conversation" not in ticket.events.get(kind="created").data
    conversation.refresh_from_db()
    assert conversation.ticket is None


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["seat_holder", "fedramp_user"])
def test_seat_holders_and_fedramp_users_skip_the_assistant_in_the_flow(
    client: Client, world: list[Agent], request: pytest.FixtureRequest, actor: str
) -> None:
    user: User = request.getfixturevalue(actor)
    client.force_login(user)
    response = client.get(AREA)
    assert response.status_code == 302 and response["Location"] == f"{AREA}contact/"
    assert client.post(AREA, {"question": QUESTION}).status_code == 404
    assert (
        client.post(
            f"{AREA}assistant/feedback/", {"conversation": "x", "position": 1, "answer": "yes"}
        ).status_code
        == 404
    )
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_a_seat_holder_coming_from_the_support_site_keeps_the_conversation_to_the_methods(
    client: Client, world: list[Agent], seat_holder: User
) -> None:
    client.force_login(seat_holder)
    client.post("/support/assistant/", {"question": QUESTION})
    conversation = Conversation.objects.get(user=seat_holder)
    response = client.get(f"{AREA}?conversation={conversation.public_id}")
    assert response["Location"] == f"{AREA}contact/?conversation={conversation.public_id}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"), [("get", AREA), ("post", AREA), ("post", f"{AREA}assistant/feedback/")]
)
def test_staff_and_anonymous_visitors_never_reach_the_flows_assistant(
    client: Client, world: list[Agent], agent: User, method: str, url: str
) -> None:
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(agent)
    assert getattr(client, method)(url).status_code == 404


@pytest.mark.django_db
def test_a_conversation_from_the_support_site_continues_in_the_flow(
    client: Client, world: list[Agent], standard_user: User
) -> None:
    client.force_login(standard_user)
    client.post("/support/assistant/", {"question": QUESTION})
    conversation = Conversation.objects.get()
    areas = client.get(
        f"/hub/technical/areas/?conversation={conversation.public_id}"
    ).content.decode()
    assert f'href="{AREA}?conversation={conversation.public_id}"' in areas
    page = _main(client.get(f"{AREA}?conversation={conversation.public_id}"))
    assert QUESTION in page
    conversation.refresh_from_db()
    assert conversation.product_area.slug == "surveys-xm-directory"


# --- The brand administrator's figures ------------------------------------------------------------


@pytest.mark.django_db
def test_brand_administrators_see_how_many_questions_were_answered_without_a_ticket(
    client: Client,
    world: list[Agent],
    brand_admin: User,
    standard_user: User,
    outsider: User,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    for user in (standard_user, standard_user, outsider):
        conversation = conversation_start(user=user, surface=Surface.HUB, language="en")
        conversation_ask(conversation=conversation, question=QUESTION)
    helped = Turn.objects.filter(conversation__user=standard_user).first()
    assert helped is not None
    turn_feedback_set(turn=helped, feedback=Feedback.YES)
    ticketed = Conversation.objects.filter(user=standard_user).last()
    assert ticketed is not None
    ticket = Ticket.objects.create(
        number="CS-900001",
        requester=standard_user,
        organisation=standard_user.membership.organisation,
        team="technical",
        channel="email",
        language="en",
        subject="s",
    )
    Conversation.objects.filter(pk=ticketed.pk).update(ticket=ticket)
    figures = assistant_figures(standard_user.membership.organisation, now=timezone.now())
    assert (figures.questions, figures.helpful, figures.without_ticket, figures.tickets) == (
        2,
        1,
        1,
        1,
    )
    client.force_login(brand_admin)
    # The members page draws the figures in place from the assistant's own fragment, and
    # links to it for a browser without JavaScript.
    members = client.get("/hub/organisation/members/").content.decode()
    assert 'href="/support/assistant/figures/"' in members
    assert 'hx-get="/support/assistant/figures/"' in members
    with django_assert_max_num_queries(9):
        fragment = client.get("/support/assistant/figures/", HTTP_HX_REQUEST="true")
    assert "<dt>Questions asked</dt><dd>2</dd>" in fragment.content.decode()
    page = client.get("/support/assistant/figures/").content.decode()
    assert "The support assistant" in page
    assert "<dt>Answered without a ticket</dt><dd>1</dd>" in page
    client.force_login(standard_user)
    assert client.get("/support/assistant/figures/").status_code == 404


# --- The admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_agents_read_conversations_with_their_turns_and_change_nothing(
    client: Client, world: list[Agent], agent: User, standard_user: User
) -> None:
    conversation = conversation_start(user=standard_user, surface=Surface.HUB, language="en")
    conversation_ask(conversation=conversation, question=QUESTION)
    client.force_login(agent)
    listing = client.get("/admin/chatbot/conversation/")
    assert listing.status_code == 200 and conversation.public_id in listing.content.decode()
    page = client.get(f"/admin/chatbot/conversation/{conversation.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and QUESTION in html and "Schedule follow-up" in html
    assert 'name="_save"' not in html
    assert (
        client.post(f"/admin/chatbot/conversation/{conversation.pk}/change/", {}).status_code == 403
    )
    assert client.get("/admin/chatbot/conversation/add/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", f"{ANSWER} (phrased by hub-model-1)"),
        ("fr", f"{ANSWER} (formulée par hub-model-1)"),
        ("ja", f"{ANSWER}（hub-model-1が作成）"),
    ],
)
def test_an_agent_reads_which_model_phrased_an_answer_in_their_own_language(
    client: Client,
    world: list[Agent],
    agent: User,
    standard_user: User,
    language: str,
    shown: str,
) -> None:
    conversation = conversation_start(user=standard_user, surface=Surface.HUB, language="en")
    conversation_ask(conversation=conversation, question=QUESTION)
    Turn.objects.filter(conversation=conversation).update(
        answered=True,
        answer=ANSWER,
        phrased_by="hub-model-1",
    )
    agent.preferred_language = language
    agent.save(update_fields=["preferred_language"])
    client.force_login(agent)
    html = client.get(f"/admin/chatbot/conversation/{conversation.pk}/change/").content.decode()
    assert shown in html


@pytest.mark.django_db
def test_an_article_edited_in_the_admin_is_previewed_and_indexed_again(
    client: Client,
    world: list[Agent],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    root = User.objects.create_superuser("root@hub.example", "root@hub.example", "x" * 16)
    client.force_login(root)
    article = Article.objects.get(slug="fixture-sso-okta")
    versions = list(article.versions.all())
    url = f"/admin/chatbot/article/{article.pk}/change/"
    page = client.get(url).content.decode()
    assert '<div class="kb-preview"><p>Single sign-on lets' in page
    data = {
        "slug": article.slug, "product_area": article.product_area_id, "is_published": "on",
        "versions-TOTAL_FORMS": len(versions), "versions-INITIAL_FORMS": len(versions),
        "versions-MIN_NUM_FORMS": 0, "versions-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for n, version in enumerate(versions):
        data.update(
            {
                f"versions-{n}-id": version.pk, f"versions-{n}-article": article.pk,
                f"versions-{n}-language": version.language, f"versions-{n}-title": version.title,
                f"versions-{n}-summary": version.summary,
                f"versions-{n}-body": f"{version.body}\n\n## Rotating the certificate\n\nDo it.",
                f"versions-{n}-keywords": "saml, okta", f"versions-{n}-updated": "2026-11-30",
            }
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    version = ArticleVersion.objects.get(article=article, language="en")
    assert version.keywords == ["saml", "okta"]
    assert version.passages.filter(heading="Rotating the certificate").exists()


# --- Every role at the flow's assistant URLs --------------------------------------------------

FLOW_ROLES = {
    # role: (GET the step, POST a question)
    "anonymous": (302, 302),
    "standard_user": (200, 302),
    "brand_admin": (200, 302),
    "outsider": (200, 302),
    "seat_holder": (302, 404),
    "fedramp_user": (302, 404),
    "agent": (404, 404),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "expected"), FLOW_ROLES.items(), ids=FLOW_ROLES.keys())
def test_the_flows_assistant_answers_each_role_as_it_should(
    client: Client,
    world: list[Agent],
    request: pytest.FixtureRequest,
    role: str,
    expected: tuple[int, int],
) -> None:
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    page = client.get(AREA)
    asked = client.post(AREA, {"question": QUESTION})
    assert (page.status_code, asked.status_code) == expected
    if role == "anonymous":
        assert asked["Location"].startswith("/accounts/login/?next=")
    if expected[0] == 302 and role != "anonymous":
        assert page["Location"] == f"{AREA}contact/"
    assert Conversation.objects.exists() is (expected[1] == 302 and role != "anonymous")
