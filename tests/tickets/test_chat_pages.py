"""The chat's pages and fragments through the plain client (JavaScript off, and htmx's
requests by their header): every URL against every role, the start form, the customer's
page and the console with their query counts, sending, ending and switching."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from hub.accounts.models import Organisation, User
from routing.configuration import current_configuration
from routing.models import ProductArea
from tests.conftest import SESSION_QUERIES
from tests.tickets.chat_world import chat_agent, chat_open_round_the_clock, free, open_chat
from tickets.chat.services import chat_accept, chat_end, chat_message_send
from tickets.models import (
    CallbackRequest,
    Channel,
    ChatMessage,
    ChatSession,
    EventKind,
    Status,
    Ticket,
    TicketEvent,
    WaitQuote,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
START_URL = "/hub/technical/areas/{slug}/contact/chat/"


@pytest.fixture
def world(product_areas: list[ProductArea]) -> None:
    chat_open_round_the_clock()


@pytest.fixture
def chat_agent_user(world: None) -> User:
    return free(chat_agent("ana@hub.example"))


@pytest.fixture
def colleague(make_member: Callable[..., User], acme: Organisation) -> User:
    """Another standard user of the requester's organisation."""
    return make_member("colleague@acme.example", acme)


@pytest.fixture
def chat(standard_user: User, surveys_area: ProductArea, world: None) -> ChatSession:
    return open_chat(standard_user, surveys_area)


def _as(client: Client, user: User | None) -> Client:
    if user is not None:
        client.force_login(user)
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def _key() -> str:
    import uuid

    return uuid.uuid4().hex


# --- Every chat URL against every role ------------------------------------------------------

ROLES = ["requester", "brand_admin", "colleague", "outsider", "agent", "anonymous"]


def _actor(request: pytest.FixtureRequest, role: str) -> User | None:
    if role == "anonymous":
        return None
    return request.getfixturevalue({"requester": "standard_user"}.get(role, role))  # type: ignore[no-any-return]


# (method, path, data, htmx, expected status per role)
def _cases(number: str, slug: str) -> list[tuple[str, str, dict[str, str], bool, dict[str, int]]]:
    others = {"brand_admin": 404, "colleague": 404, "outsider": 404, "anonymous": 302}
    return [
        ("get", f"/hub/chats/{number}/", {}, False, {"requester": 200, "agent": 200, **others}),
        (
            "get",
            f"/hub/chats/{number}/",
            {"part": "status"},
            True,
            {"requester": 200, "agent": 200, **others},
        ),
        (
            "get",
            f"/hub/chats/{number}/messages/",
            {"after": "0"},
            True,
            {"requester": 200, "agent": 200, **others},
        ),
        (
            "post",
            f"/hub/chats/{number}/send/",
            {"body": "Hello", "client_key": _key()},
            False,
            # Staff who have not accepted the chat are told so on the page.
            {"requester": 302, "agent": 200, **others},
        ),
        (
            "post",
            f"/hub/chats/{number}/end/",
            {},
            False,
            {"requester": 302, "agent": 302, **others},
        ),
        (
            "post",
            f"/hub/chats/{number}/transcript/",
            {"key": _key()},
            False,
            {"requester": 302, "agent": 404, **others},
        ),
        (
            "post",
            f"/hub/chats/{number}/switch/email/",
            {},
            False,
            {"requester": 302, "agent": 404, **others},
        ),
        (
            "get",
            f"/hub/technical/areas/{slug}/contact/phone/",
            {"chat": number},
            False,
            {"requester": 200, "agent": 404, **others},
        ),
        (
            "post",
            f"/hub/agents/chats/{number}/accept/",
            {},
            False,
            # The fixture agent is staff but not on the roster: refused with a message.
            {"requester": 404, "agent": 302, **others},
        ),
    ]


CASE_COUNT = 9


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", range(CASE_COUNT))
def test_every_chat_url_answers_only_its_customer_and_staff(
    client: Client,
    request: pytest.FixtureRequest,
    chat: ChatSession,
    surveys_area: ProductArea,
    colleague: User,
    brand_admin: User,
    outsider: User,
    agent: User,
    role: str,
    case: int,
) -> None:
    method, path, data, htmx, expected = _cases(chat.ticket.number, surveys_area.slug)[case]
    _as(client, _actor(request, role))
    headers = HTMX if htmx else {}
    response = getattr(client, method)(path, data, **headers)
    assert response.status_code == expected[role], (method, path, role)
    if expected[role] == 302 and role == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=")
    if expected[role] == 404:
        assert chat.ticket.subject not in _html(response)
    chat.refresh_from_db()
    if role not in {"requester", "agent"}:
        assert not chat.has_ended
        assert chat.messages.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/hub/agents/chats/",
        "/hub/agents/chats/waiting/",
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_the_console_is_for_staff_only(
    client: Client,
    request: pytest.FixtureRequest,
    world: None,
    colleague: User,
    brand_admin: User,
    outsider: User,
    agent: User,
    role: str,
    path: str,
) -> None:
    actor = _actor(request, role)
    response = _as(client, actor).get(path, **HTMX)
    expected = {"agent": 200, "anonymous": 302}.get(role, 404)
    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_staff_switch_availability(
    client: Client,
    request: pytest.FixtureRequest,
    world: None,
    colleague: User,
    brand_admin: User,
    outsider: User,
    agent: User,
    role: str,
) -> None:
    response = _as(client, _actor(request, role)).post(
        "/hub/agents/chats/availability/", {"available": "on"}
    )
    assert response.status_code == {"agent": 302, "anonymous": 302}.get(role, 404)


# --- Starting from the picker -----------------------------------------------------------------


def _chat_card(response: Any) -> str:
    cards = _html(response).split('<li class="method-card')
    return next(card for card in cards if 'id="method-chat"' in card)


@pytest.mark.django_db
def test_the_chat_card_leads_to_the_start_form_when_an_agent_is_free(
    client: Client, standard_user: User, surveys_area: ProductArea, chat_agent_user: User
) -> None:
    response = _as(client, standard_user).get(f"/hub/technical/areas/{surveys_area.slug}/contact/")
    card = _chat_card(response)
    assert "Available now" in card
    assert f'href="{START_URL.format(slug=surveys_area.slug)}?language=en"' in card


@pytest.mark.django_db
def test_the_chat_card_says_temporarily_unavailable_when_nobody_is_free(
    client: Client, standard_user: User, surveys_area: ProductArea, world: None
) -> None:
    chat_agent("ana@hub.example")  # on shift, but not in the console
    response = _as(client, standard_user).get(f"/hub/technical/areas/{surveys_area.slug}/contact/")
    card = _chat_card(response)
    assert "Temporarily unavailable: no agent is free right now." in card
    assert "href=" not in card


@pytest.mark.django_db
def test_starting_a_chat_makes_one_chat_ticket_and_opens_its_page(
    client: Client, standard_user: User, surveys_area: ProductArea, chat_agent_user: User
) -> None:
    _as(client, standard_user)
    url = START_URL.format(slug=surveys_area.slug)
    form = client.get(f"{url}?language=en")
    assert form.status_code == 200
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', _html(form)).group(1)  # type: ignore[union-attr]
    data = {
        "idempotency_key": key,
        "language": "en",
        "message": "The survey link shows an error\nsince this morning, for every respondent.",
    }
    first = client.post(url, data)
    again = client.post(url, data)  # a double click
    ticket = Ticket.objects.get(requester=standard_user)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/hub/chats/{ticket.number}/"
    assert ticket.channel == Channel.CHAT
    assert ticket.status == Status.NEW
    assert ticket.subject == "The survey link shows an error"
    assert ticket.chat.messages.get().body == data["message"]
    # No confirmation email for a live chat: the customer is on its page.
    assert mail.outbox == []
    page = client.get(first["Location"])
    assert "You are number 1 in the queue for a chat." in _html(page)
    assert "An agent can join you any moment now." in _html(page)


@pytest.mark.django_db
def test_a_start_with_nothing_written_is_refused_clearly(
    client: Client, standard_user: User, surveys_area: ProductArea, chat_agent_user: User
) -> None:
    response = _as(client, standard_user).post(
        START_URL.format(slug=surveys_area.slug),
        {"idempotency_key": _key(), "language": "en", "message": "   "},
    )
    assert response.status_code == 200
    assert "There is a problem" in _html(response)
    assert "Write what you need help with" in _html(response)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_start_when_chat_has_just_become_unavailable_says_so_and_keeps_the_text(
    client: Client, standard_user: User, surveys_area: ProductArea, world: None
) -> None:
    response = _as(client, standard_user).post(
        START_URL.format(slug=surveys_area.slug),
        {"idempotency_key": _key(), "language": "en", "message": "Dashboards are empty"},
    )
    assert response.status_code == 200
    assert "Chat in English is not available at the moment." in _html(response)
    assert "Dashboards are empty" in _html(response)
    assert "/contact/email/?language=en" in _html(response)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_the_assistants_contact_support_opens_a_chat_with_the_question_and_the_conversation(
    client: Client, standard_user: User, surveys_area: ProductArea, chat_agent_user: User
) -> None:
    from chatbot.models import Surface
    from chatbot.services import conversation_ask, conversation_start

    conversation = conversation_start(
        user=standard_user, surface=Surface.HUB, language="en", product_area=surveys_area
    )
    conversation_ask(conversation=conversation, question="How do I reset a survey?")
    _as(client, standard_user)
    url = START_URL.format(slug=surveys_area.slug)
    page = _html(client.get(url, {"conversation": conversation.public_id}))
    assert "How do I reset a survey?</textarea>" in page
    assert f'name="conversation" value="{conversation.public_id}"' in page
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)  # type: ignore[union-attr]
    response = client.post(
        url,
        {
            "idempotency_key": key,
            "language": "en",
            "message": "How do I reset a survey?",
            "conversation": conversation.public_id,
        },
    )
    assert response.status_code == 302
    created = TicketEvent.objects.get(kind=EventKind.CREATED)
    transcript = created.data["assistant_conversation"]
    assert [turn["question"] for turn in transcript] == ["How do I reset a survey?"]
    conversation.refresh_from_db()
    assert conversation.ticket == created.ticket
    assert created.ticket.channel == "chat"


@pytest.mark.django_db
def test_a_chat_cannot_be_opened_with_someone_elses_assistant_conversation(
    client: Client, standard_user: User, brand_admin: User, surveys_area: ProductArea,
    chat_agent_user: User,
) -> None:  # fmt: skip
    from chatbot.models import Surface
    from chatbot.services import conversation_start

    theirs = conversation_start(
        user=brand_admin, surface=Surface.HUB, language="en", product_area=surveys_area
    )
    _as(client, standard_user)
    url = START_URL.format(slug=surveys_area.slug)
    assert client.get(url, {"conversation": theirs.public_id}).status_code == 404


# --- The customer's page, without JavaScript ----------------------------------------------------


@pytest.mark.django_db
def test_without_javascript_a_message_posts_and_the_page_comes_back_with_it(
    client: Client, standard_user: User, chat: ChatSession
) -> None:
    _as(client, standard_user)
    url = f"/hub/chats/{chat.ticket.number}/"
    page = client.get(url)
    assert 'href="/hub/chats/' in _html(page) and "Refresh the conversation" in _html(page)
    key = re.search(r'name="client_key" value="([0-9a-f]{32})"', _html(page)).group(1)  # type: ignore[union-attr]
    for _ in range(2):  # sent twice (a retried POST): one message
        sent = client.post(f"{url}send/", {"body": "Also the preview", "client_key": key})
        assert sent.status_code == 302
        assert sent["Location"] == f"{url}#chat-{chat.pk}-composer"
    assert chat.messages.filter(body="Also the preview").count() == 1
    assert _html(client.get(url)).count("Also the preview") == 1


@pytest.mark.django_db
def test_the_same_words_again_within_seconds_are_asked_about_before_they_go_out(
    client: Client, standard_user: User, chat: ChatSession
) -> None:
    # The box refilled after a reload, and a habitual Enter: a new form key, the same text.
    _as(client, standard_user)
    url = f"/hub/chats/{chat.ticket.number}/"
    client.post(f"{url}send/", {"body": "Is anyone there?", "client_key": _key()})
    key = _key()
    asked = client.post(f"{url}send/", {"body": "Is anyone there?", "client_key": key})
    assert asked.status_code == 200
    html = _html(asked)
    assert "You sent this same message a moment ago. Send it again?" in html
    assert 'name="repeat" value="1"' in html and "Do not send it" in html
    assert "Is anyone there?</textarea>" in html and key in html
    assert chat.messages.filter(body="Is anyone there?").count() == 1
    # Without JavaScript the question's button sends it; so does htmx's post of it.
    sent = client.post(
        f"{url}send/", {"body": "Is anyone there?", "client_key": key, "repeat": "1"}
    )
    assert sent.status_code == 302
    assert chat.messages.filter(body="Is anyone there?").count() == 2


@pytest.mark.django_db
def test_an_htmx_repeat_is_asked_about_in_the_composer(
    client: Client, standard_user: User, chat: ChatSession
) -> None:
    _as(client, standard_user)
    url = f"/hub/chats/{chat.ticket.number}/send/"
    client.post(url, {"body": "Thanks", "client_key": _key()}, **HTMX)
    asked = client.post(url, {"body": "Thanks", "client_key": _key(), "state": "waiting"}, **HTMX)
    assert "Send it again?" in _html(asked)
    assert chat.messages.filter(body="Thanks").count() == 1


@pytest.mark.django_db
def test_your_own_messages_carry_their_key_for_the_draft_check(
    client: Client, standard_user: User, chat: ChatSession, chat_agent_user: User
) -> None:
    # chat.js forgets a kept draft once a message with the draft's key is in the log.
    chat_accept(session_id=chat.pk, agent=chat_agent_user)
    chat_message_send(session=chat, author=chat_agent_user, body="Hello", client_key="agent-k")
    key = _key()
    _as(client, standard_user).post(
        f"/hub/chats/{chat.ticket.number}/send/", {"body": "Mine", "client_key": key}
    )
    html = _html(client.get(f"/hub/chats/{chat.ticket.number}/"))
    assert f'data-client-key="{key}"' in html
    assert "agent-k" not in html  # the other side's keys stay on the server


@pytest.mark.django_db
def test_a_message_that_is_too_long_is_refused_and_kept_for_editing(
    client: Client, standard_user: User, chat: ChatSession
) -> None:
    body = "x" * 4001
    response = _as(client, standard_user).post(
        f"/hub/chats/{chat.ticket.number}/send/", {"body": body, "client_key": _key()}
    )
    assert response.status_code == 200
    assert "A message can be at most 4000 characters long" in _html(response)
    assert body in _html(response)
    assert chat.messages.count() == 1


@pytest.mark.django_db
def test_messages_are_plain_text_and_links_are_made_safe(
    client: Client, standard_user: User, chat: ChatSession, chat_agent_user: User
) -> None:
    chat_accept(session_id=chat.pk, agent=chat_agent_user)
    chat_message_send(
        session=chat,
        author=chat_agent_user,
        body="<script>alert(1)</script> see https://help.example/a?b=1&c=2. or javascript:alert(1)",
    )
    html = _html(_as(client, standard_user).get(f"/hub/chats/{chat.ticket.number}/"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert (
        '<a href="https://help.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
        "https://help.example/a?b=1&amp;c=2</a>." in html
    )
    assert 'href="javascript' not in html
    assert "Ana (support)" in html
    assert "Ana from support is with you." in html


# --- htmx: polling and sending --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_poll_returns_only_the_messages_after_the_last_one_shown(
    client: Client, standard_user: User, chat: ChatSession, chat_agent_user: User
) -> None:
    _as(client, standard_user)
    url = f"/hub/chats/{chat.ticket.number}/messages/"
    first = chat.messages.get()
    quiet = client.get(url, {"after": first.pk, "state": "waiting"}, **HTMX)
    assert quiet.status_code == 200
    assert "chat-message" not in _html(quiet)
    assert f'name="after" value="{first.pk}"' in _html(quiet)
    assert "hx-swap-oob" in _html(quiet) and 'id="chat-' in _html(quiet)

    chat_accept(session_id=chat.pk, agent=chat_agent_user)
    reply = chat_message_send(session=chat, author=chat_agent_user, body="Hello, I am Ana")
    changed = _html(client.get(url, {"after": first.pk, "state": "waiting"}, **HTMX))
    assert changed.count("Hello, I am Ana") == 1
    assert "has joined the chat" in changed
    assert f'name="after" value="{reply.pk}"' in changed
    assert 'name="state" value="active"' in changed
    # The state changed: the status is redrawn out of band.
    assert "Ana from support is with you." in changed
    # Asked again from the new cursor: nothing more, and no status redraw.
    again = _html(client.get(url, {"after": reply.pk, "state": "active"}, **HTMX))
    assert "Hello, I am Ana" not in again
    assert "is with you" not in again


@pytest.mark.django_db
def test_a_poll_after_the_chat_ended_delivers_the_end_and_stops_polling(
    client: Client, standard_user: User, chat: ChatSession, chat_agent_user: User
) -> None:
    chat_accept(session_id=chat.pk, agent=chat_agent_user)
    last = chat.messages.order_by("-pk").first()
    chat_end(session=chat, by=chat_agent_user)
    response = _as(client, standard_user).get(
        f"/hub/chats/{chat.ticket.number}/messages/",
        {"after": last.pk, "state": "active"},  # type: ignore[union-attr]
        **HTMX,
    )
    assert response.status_code == 286
    assert "The chat has ended." in _html(response)
    assert "Email me the transcript" in _html(response)


@pytest.mark.django_db
def test_an_htmx_send_answers_with_a_fresh_form_and_the_new_messages_once(
    client: Client, standard_user: User, chat: ChatSession
) -> None:
    _as(client, standard_user)
    first = chat.messages.get()
    key = _key()
    data = {"body": "It fails on mobile", "client_key": key, "after": first.pk, "state": "waiting"}
    response = client.post(f"/hub/chats/{chat.ticket.number}/send/", data, **HTMX)
    html = _html(response)
    assert response.status_code == 200
    assert html.count("It fails on mobile") == 1
    assert f'id="chat-{chat.pk}-composer"' in html
    assert f'value="{key}"' not in html  # the fresh form has a key of its own
    assert f'data-client-key="{key}"' in html  # the message sent is marked with it
    sent = chat.messages.get(body="It fails on mobile")
    # The same POST again (a retry after a dropped connection), from the cursor it moved to.
    again = client.post(
        f"/hub/chats/{chat.ticket.number}/send/", {**data, "after": sent.pk}, **HTMX
    )
    assert "It fails on mobile" not in _html(again)
    assert chat.messages.filter(body="It fails on mobile").count() == 1


@pytest.mark.django_db
def test_a_page_left_open_does_not_keep_the_session_alive(
    client: Client, standard_user: User, chat: ChatSession
) -> None:
    """The idle timeout counts from the last thing the person did, not the last poll."""
    from django.contrib.sessions.models import Session

    _as(client, standard_user)
    client.get(f"/hub/chats/{chat.ticket.number}/")
    key = client.session.session_key
    # Last pushed back ten minutes ago: the next request the person makes pushes it again.
    before = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 600)
    Session.objects.filter(session_key=key).update(expire_date=before)
    caches["default"].delete(client.session.cache_key)
    client.get(f"/hub/chats/{chat.ticket.number}/messages/", {"after": 0}, **HTMX)
    client.get(f"/hub/chats/{chat.ticket.number}/", {"part": "status"}, **HTMX)
    assert Session.objects.get(session_key=key).expire_date == before
    client.post(
        f"/hub/chats/{chat.ticket.number}/send/", {"body": "Still here", "client_key": _key()}
    )
    assert Session.objects.get(session_key=key).expire_date > before


# --- Query counts: the same at 10 and at 1,000 messages ---------------------------------------


def _fill(chat: ChatSession, agent: User, count: int) -> None:
    ChatMessage.objects.bulk_create(
        ChatMessage(
            session=chat,
            author=agent if n % 2 else chat.ticket.requester,
            by_staff=bool(n % 2),
            body=f"Message {n} https://example.com/{n}",
        )
        for n in range(count)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("count", [10, 1000])
def test_the_chat_page_and_a_poll_cost_the_same_queries_however_long_the_chat(
    client: Client,
    standard_user: User,
    chat: ChatSession,
    chat_agent_user: User,
    count: int,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    chat_accept(session_id=chat.pk, agent=chat_agent_user)
    _fill(chat, chat_agent_user, count)
    _as(client, standard_user)
    client.get("/hub/")  # the session is loaded once
    # user; chat with ticket, area, requester, organisation, agent; area names; messages
    with django_assert_num_queries(SESSION_QUERIES + 4):
        page = client.get(f"/hub/chats/{chat.ticket.number}/")
    assert _html(page).count('class="chat-message ') == count + 1
    last = chat.messages.order_by("-pk").first()
    assert last is not None
    # user; chat; messages after the cursor. A poll renews no session.
    with django_assert_num_queries(SESSION_QUERIES + 3):
        poll = client.get(
            f"/hub/chats/{chat.ticket.number}/messages/",
            {"after": last.pk, "state": "active"},
            **HTMX,
        )
    assert poll.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("count", [10, 1000])
def test_the_waiting_page_costs_the_same_queries_however_many_chats_wait(
    client: Client,
    standard_user: User,
    surveys_area: ProductArea,
    chat_agent_user: User,
    count: int,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    for n in range(count // 10):
        open_chat(standard_user, surveys_area, f"Earlier chat {n}")
    mine = open_chat(standard_user, surveys_area, "Mine")
    _as(client, standard_user)
    client.get("/hub/")
    # Areas, hours and the roster are read once per change, not per request.
    current_configuration()
    # user; chat; area names; messages; position; handle times; who is in the chat console
    with django_assert_num_queries(SESSION_QUERIES + 7):
        page = client.get(f"/hub/chats/{mine.ticket.number}/")
    assert f"You are number {count // 10 + 1} in the queue" in _html(page)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [10, 1000])
def test_the_console_costs_the_same_queries_however_many_chats(
    client: Client,
    standard_user: User,
    surveys_area: ProductArea,
    count: int,
    world: None,
    django_assert_num_queries: Callable[..., Any],
    settings: Any,
) -> None:
    settings.CHAT_AGENT_MAX_CHATS = 3
    agent = free(chat_agent("ana@hub.example"))
    held = [open_chat(standard_user, surveys_area, f"Held {n}") for n in range(3)]
    for session in held:
        chat_accept(session_id=session.pk, agent=agent)
        _fill(session, agent, count // 3)
    for n in range(count // 10):
        open_chat(standard_user, surveys_area, f"Waiting {n}")
    _as(client, agent)
    client.get("/hub/")
    # user and its permissions (2); heartbeat; skills (agent, areas); presence; held count;
    # waiting chats, their area names; held chats, their area names, messages, first events
    with django_assert_num_queries(SESSION_QUERIES + 14):
        page = client.get("/hub/agents/chats/")
    html = _html(page)
    assert html.count('class="chat-pane chat-pane--console"') == 3
    assert "You have 3 chats open, up to 3." in html
    assert html.count('class="chat-waiting__item"') == min(count // 10, 50)
    # user and permissions (2); heartbeat; skills (2); presence; held count; waiting chats and
    # their area names (a poll: no session renewal)
    with django_assert_num_queries(SESSION_QUERIES + 10):
        client.get("/hub/agents/chats/waiting/", **HTMX)


# --- Ending and switching -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_customer_ends_the_chat_and_asks_for_the_transcript_once_per_form(
    client: Client,
    standard_user: User,
    chat: ChatSession,
    chat_agent_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    chat_accept(session_id=chat.pk, agent=chat_agent_user)
    chat_message_send(session=chat, author=chat_agent_user, body="Try clearing the cache")
    _as(client, standard_user)
    url = f"/hub/chats/{chat.ticket.number}/"
    assert client.post(f"{url}end/").status_code == 302
    chat.ticket.refresh_from_db()
    assert chat.ticket.status == Status.SOLVED
    page = _html(client.get(url))
    assert "The customer ended the chat" in page
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}transcript/", {"key": key})
        client.post(f"{url}transcript/", {"key": key})
    assert len(mail.outbox) == 1
    transcript = mail.outbox[0]
    assert transcript.to == [standard_user.email]
    assert chat.ticket.number in transcript.subject
    assert "Try clearing the cache" in transcript.body
    assert "The survey link shows an error" in transcript.body
    # Another press of a newly drawn form is another request: another email.
    fresh = re.search(r'name="key" value="([0-9a-f]{32})"', _html(client.get(url))).group(1)  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}transcript/", {"key": fresh})
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_switching_to_email_keeps_everything_and_sends_the_usual_confirmation(
    client: Client,
    standard_user: User,
    chat: ChatSession,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    chat_message_send(session=chat, author=standard_user, body="It started after the update")
    _as(client, standard_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/hub/chats/{chat.ticket.number}/switch/email/")
    assert response.status_code == 302
    assert response["Location"] == f"/hub/requests/{chat.ticket.number}/"
    ticket = Ticket.objects.get(pk=chat.ticket_id)
    assert ticket.channel == Channel.EMAIL
    assert "The survey link shows an error" in ticket.description
    assert "It started after the update" in ticket.description
    assert ticket.events.filter(kind=EventKind.CHAT_MESSAGE).count() == 2
    assert ticket.events.filter(kind=EventKind.CHANNEL_CHANGED).exists()
    assert len(mail.outbox) == 1 and "We have your request" in mail.outbox[0].subject
    # Pressed twice: still one ticket, one confirmation.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/hub/chats/{chat.ticket.number}/switch/email/")
    assert len(mail.outbox) == 1
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_switching_to_a_callback_converts_the_same_ticket_through_the_phone_form(
    client: Client,
    standard_user: User,
    chat: ChatSession,
    chat_agent_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    chat_agent("phone@hub.example")  # someone to call back in English
    _as(client, standard_user)
    url = f"/hub/technical/areas/{chat.ticket.product_area.slug}/contact/phone/"  # type: ignore[union-attr]
    form = client.get(url, {"language": "en", "chat": chat.ticket.number})
    html = _html(form)
    assert f'name="chat" value="{chat.ticket.number}"' in html
    assert "becomes this callback" in html
    assert 'value="The survey link shows an error"' in html  # the subject, prefilled
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)  # type: ignore[union-attr]
    answers = {
        "idempotency_key": key,
        "chat": chat.ticket.number,
        "area": chat.ticket.product_area.slug,  # type: ignore[union-attr]
        "language": "en",
        "country": "GB",
        "number": "020 7946 0000",
        "email": standard_user.email,
        "subject": "The survey link shows an error",
        "recording_consent": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, answers)
    assert response.status_code == 302
    assert response["Location"] == f"/hub/requests/{chat.ticket.number}/"
    ticket = Ticket.objects.get()
    assert ticket.pk == chat.ticket_id
    assert ticket.channel == Channel.PHONE
    assert ticket.phone_number == "+442079460000"
    assert CallbackRequest.objects.filter(ticket=ticket).exists()
    assert ticket.events.filter(kind=EventKind.CHAT_MESSAGE).count() == 1
    assert len(mail.outbox) == 1
    # Pressed twice: the same confirmation page, and still one callback quoted once.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, answers)
    assert again.status_code == 302
    assert again["Location"] == response["Location"]
    assert Ticket.objects.count() == 1
    assert CallbackRequest.objects.filter(ticket=ticket).count() == 1
    assert WaitQuote.objects.filter(ticket=ticket).count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_after_the_wait_limit_the_page_offers_email_and_a_callback_prominently(
    client: Client, standard_user: User, chat: ChatSession, settings: Any
) -> None:
    _as(client, standard_user)
    url = f"/hub/chats/{chat.ticket.number}/"
    assert "This is taking longer than we would like." not in _html(client.get(url))
    settings.ROUTING_CHAT_MAX_WAIT_MINUTES = 0
    html = _html(client.get(url))
    assert "This is taking longer than we would like." in html
    assert "No agent is free just now." in html
    assert f"/contact/phone/?language=en&amp;chat={chat.ticket.number}" in html


# --- The console --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_switches_on_accepts_and_writes_from_the_console(
    client: Client, standard_user: User, chat: ChatSession, world: None
) -> None:
    agent = chat_agent("ana@hub.example")
    _as(client, agent)
    page = _html(client.get("/hub/agents/chats/"))
    assert "Not taking chats" in page
    assert "1 chat waiting for you" in page
    client.post("/hub/agents/chats/availability/", {"available": "on"})
    assert "Available for chat" in _html(client.get("/hub/agents/chats/"))
    response = client.post(f"/hub/agents/chats/{chat.ticket.number}/accept/", **HTMX)
    assert response.status_code == 200
    html = _html(response)
    assert f'id="chat-{chat.pk}"' in html
    assert "The survey link shows an error" in html
    assert "No chats waiting for you" in html
    assert "You have 1 chat open, up to 3." in html
    chat.refresh_from_db()
    assert chat.agent == agent and chat.is_active
    key = _key()
    client.post(f"/hub/chats/{chat.ticket.number}/send/", {"body": "Hello!", "client_key": key})
    assert chat.messages.filter(body="Hello!", by_staff=True).exists()


@pytest.mark.django_db
def test_the_console_says_how_long_and_how_many_in_plain_sentences(
    client: Client, standard_user: User, chat: ChatSession, world: None
) -> None:
    agent = free(chat_agent("ana@hub.example"))
    page = _html(_as(client, agent).get("/hub/agents/chats/"))
    assert "No chats yet, up to 3." in page
    assert "arrived just now" in page
    assert "0 minutes" not in page and "0 chats" not in page
    ChatSession.objects.filter(pk=chat.pk).update(created_at=chat.created_at - timedelta(minutes=1))
    assert "waiting 1 minute</p>" in _html(client.get("/hub/agents/chats/"))
    ChatSession.objects.filter(pk=chat.pk).update(created_at=chat.created_at - timedelta(minutes=7))
    assert "waiting 7 minutes" in _html(client.get("/hub/agents/chats/"))


@pytest.mark.django_db
def test_agents_are_not_shown_the_customers_contact_support_button(
    client: Client, standard_user: User, world: None
) -> None:
    agent = chat_agent("ana@hub.example")
    assert 'class="contact-support"' not in _html(_as(client, agent).get("/hub/agents/chats/"))
    assert 'class="contact-support"' in _html(_as(client, standard_user).get("/hub/"))


@pytest.mark.django_db
def test_an_agent_sees_only_the_waiting_chats_of_their_skills(
    client: Client, standard_user: User, surveys_area: ProductArea, world: None
) -> None:
    english = open_chat(standard_user, surveys_area, "English please")
    spanish = open_chat(standard_user, surveys_area, "En español")
    Ticket.objects.filter(pk=spanish.ticket_id).update(language="es")
    other_area = ProductArea.objects.get(slug="cx-dashboards")
    elsewhere = open_chat(standard_user, other_area, "Dashboards")
    agent = chat_agent("ana@hub.example", languages=["es"], areas=[surveys_area])
    html = _html(_as(client, agent).get("/hub/agents/chats/"))
    assert spanish.ticket.number in html
    assert english.ticket.number not in html
    assert elsewhere.ticket.number not in html


@pytest.mark.django_db
def test_accepting_a_chat_someone_else_took_says_so_clearly(
    client: Client, standard_user: User, chat: ChatSession, chat_agent_user: User, world: None
) -> None:
    chat_accept(session_id=chat.pk, agent=chat_agent_user)
    late = chat_agent("late@hub.example")
    _as(client, late)
    response = client.post(f"/hub/agents/chats/{chat.ticket.number}/accept/", **HTMX)
    assert response["HX-Reswap"] == "none"
    assert "Another agent has just taken this chat" in _html(response)
    plain = client.post(f"/hub/agents/chats/{chat.ticket.number}/accept/", follow=True)
    assert "Another agent has just taken this chat" in _html(plain)


# --- Fuzzed forms: no 500, a clear error, nothing half saved -------------------------------------

from hypothesis import HealthCheck, event, given  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.django import from_form  # noqa: E402

from hub.flow.contact_forms import ChatStartForm  # noqa: E402
from tickets.chat.forms import ChatMessageForm  # noqa: E402

FUZZ = hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEYS = st.one_of(st.uuids().map(lambda value: value.hex), st.text(max_size=40))


def _posted(form: Any) -> dict[str, Any]:
    return {name: value for name, value in form.data.items() if value is not None}


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_the_start_form_never_fails_on_any_input(
    client: Client,
    standard_user: User,
    surveys_area: ProductArea,
    chat_agent_user: User,
    data: st.DataObject,
) -> None:
    form = data.draw(from_form(ChatStartForm, idempotency_key=KEYS))
    before = (Ticket.objects.count(), ChatSession.objects.count(), ChatMessage.objects.count())
    response = _as(client, standard_user).post(
        START_URL.format(slug=surveys_area.slug), _posted(form)
    )
    event(f"status {response.status_code}")
    # 400: control characters, refused before any form sees them (hub.middleware).
    assert response.status_code in (200, 302, 400)
    after = (Ticket.objects.count(), ChatSession.objects.count(), ChatMessage.objects.count())
    if response.status_code in (200, 400):
        assert after == before
    else:
        assert after[0] - before[0] == after[1] - before[1] == after[2] - before[2] <= 1


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_the_message_form_never_fails_on_any_input(
    client: Client, standard_user: User, chat: ChatSession, data: st.DataObject
) -> None:
    form = data.draw(from_form(ChatMessageForm, client_key=KEYS))
    before = ChatMessage.objects.count()
    # Examples share the database: a key an earlier example sent is a retry, which adds nothing.
    key = form.cleaned_data.get("client_key", "") if form.is_valid() else ""
    retried = bool(key) and ChatMessage.objects.filter(session=chat, client_key=key).exists()
    response = _as(client, standard_user).post(
        f"/hub/chats/{chat.ticket.number}/send/", _posted(form)
    )
    assert response.status_code in (200, 302, 400)  # 400: control characters (hub.middleware)
    added = 1 if response.status_code == 302 and not retried else 0
    assert ChatMessage.objects.count() - before == added
