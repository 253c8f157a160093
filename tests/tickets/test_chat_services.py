"""The chat's writes: starting, sending once, accepting (also two agents at once, on
PostgreSQL with threads), ending into the timeline, switching, the transcript, the sweep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from hub.accounts.models import OutboundEmail, User
from hub.accounts.outbox import outbound_emails_sweep
from routing.models import ProductArea
from tests.tickets.chat_world import chat_agent, chat_open_round_the_clock, free, open_chat
from tickets.chat.services import (
    ChatClosed,
    ChatTaken,
    chat_accept,
    chat_body_clean,
    chat_end,
    chat_message_send,
    chat_subject,
    chat_sweep,
    chat_switch_to_email,
    chat_transcript_request,
    chat_transcript_send,
)
from tickets.models import (
    Channel,
    ChatEndReason,
    ChatMessage,
    ChatSession,
    EventKind,
    Status,
    Ticket,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(product_areas: list[ProductArea]) -> None:
    chat_open_round_the_clock()


@pytest.fixture
def ana(world: None) -> User:
    return free(chat_agent("ana@hub.example"))


@pytest.fixture
def chat(standard_user: User, surveys_area: ProductArea, world: None) -> ChatSession:
    return open_chat(standard_user, surveys_area)


# --- Subjects and bodies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        ("Survey link broken", "Survey link broken"),
        ("\n\n  Two   spaces\tand a tab \nsecond line", "Two spaces and a tab"),
        ("word " * 40, ("word " * 23).strip() + "…"),
    ],
)
def test_the_subject_is_the_first_line_cut_at_a_word(message: str, subject: str) -> None:
    assert chat_subject(message) == subject


@given(st.text(min_size=1, max_size=5000))
def test_a_kept_message_is_never_empty_nor_too_long(text: str) -> None:
    try:
        body = chat_body_clean(text)
    except ValidationError:
        assert not text.strip() or len(text.replace("\r\n", "\n").strip()) > 4000
    else:
        assert body and len(body) <= 4000 and body == body.strip()
        assert chat_subject(body) == "" or len(chat_subject(body)) <= 120


# --- Starting and sending ------------------------------------------------------------------


def test_a_retried_start_returns_the_same_chat(
    standard_user: User, surveys_area: ProductArea, world: None
) -> None:
    first = open_chat(standard_user, surveys_area, idempotency_key="a" * 32)
    again = open_chat(standard_user, surveys_area, idempotency_key="a" * 32)
    assert first.pk == again.pk
    assert ChatSession.objects.count() == Ticket.objects.count() == 1
    assert ChatMessage.objects.count() == 1


def test_a_message_sent_twice_with_its_key_is_one_message(
    chat: ChatSession, standard_user: User
) -> None:
    one = chat_message_send(session=chat, author=standard_user, body="Hello", client_key="k1")
    two = chat_message_send(session=chat, author=standard_user, body="Hello", client_key="k1")
    assert one.pk == two.pk
    assert chat.messages.filter(body="Hello").count() == 1


def test_the_customer_can_write_while_waiting_but_an_agent_must_accept_first(
    chat: ChatSession, standard_user: User, ana: User
) -> None:
    chat_message_send(session=chat, author=standard_user, body="More detail")
    with pytest.raises(ValidationError, match="Accept this chat"):
        chat_message_send(session=chat, author=ana, body="Hi")
    chat_accept(session_id=chat.pk, agent=ana)
    reply = chat_message_send(session=chat, author=ana, body="Hi")
    assert reply.by_staff


def test_someone_flooding_a_chat_is_slowed_down(chat: ChatSession, standard_user: User) -> None:
    for n in range(29):
        chat_message_send(session=chat, author=standard_user, body=f"line {n}")
    with pytest.raises(ValidationError, match="very quickly"):
        chat_message_send(session=chat, author=standard_user, body="one too many")
    later = timezone.now() + timedelta(minutes=2)
    chat_message_send(session=chat, author=standard_user, body="a minute later", now=later)


def test_nothing_can_be_written_to_an_ended_chat(chat: ChatSession, standard_user: User) -> None:
    chat_end(session=chat, by=standard_user)
    with pytest.raises(ChatClosed):
        chat_message_send(session=chat, author=standard_user, body="Hello?")


# --- Accepting -----------------------------------------------------------------------------


def test_accepting_assigns_the_ticket_says_so_and_sends_no_status_email(
    chat: ChatSession, ana: User
) -> None:
    chat_accept(session_id=chat.pk, agent=ana)
    ticket = Ticket.objects.get(pk=chat.ticket_id)
    assert ticket.assigned_to == ana
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.events.filter(kind=EventKind.CHAT_ACCEPTED, actor=ana).exists()
    assert chat.messages.filter(kind="joined", author=ana).exists()
    assert mail.outbox == []


def test_an_agent_without_the_skill_cannot_accept(
    chat: ChatSession, world: None, surveys_area: ProductArea
) -> None:
    spanish_only = chat_agent("es@hub.example", languages=["es"])
    no_chats = chat_agent("phone@hub.example", takes_chats=False)
    for agent in (spanish_only, no_chats):
        with pytest.raises(ValidationError, match="do not cover"):
            chat_accept(session_id=chat.pk, agent=agent)
    chat.refresh_from_db()
    assert chat.is_waiting


def test_an_agent_at_their_limit_must_end_a_chat_first(
    standard_user: User, surveys_area: ProductArea, ana: User, settings: Any
) -> None:
    settings.CHAT_AGENT_MAX_CHATS = 2
    chats = [open_chat(standard_user, surveys_area, f"Chat {n}") for n in range(3)]
    chat_accept(session_id=chats[0].pk, agent=ana)
    chat_accept(session_id=chats[1].pk, agent=ana)
    with pytest.raises(ValidationError, match="You already have 2 chats open"):
        chat_accept(session_id=chats[2].pk, agent=ana)
    chat_end(session=chats[0], by=ana)
    chat_accept(session_id=chats[2].pk, agent=ana)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_agents_accepting_the_same_chat_at_once_one_wins_the_other_is_told(
    standard_user: User, surveys_area: ProductArea
) -> None:
    chat_open_round_the_clock()
    agents = [free(chat_agent(f"agent{n}@hub.example")) for n in range(2)]
    for _round in range(5):
        chat = open_chat(standard_user, surveys_area, f"Round {_round}")
        barrier = threading.Barrier(len(agents))
        outcomes: dict[str, str] = {}

        def accept(
            agent: User,
            chat: ChatSession = chat,
            barrier: threading.Barrier = barrier,
            outcomes: dict[str, str] = outcomes,
        ) -> None:
            from django.db import connections

            try:
                barrier.wait()
                chat_accept(session_id=chat.pk, agent=agent)
                outcomes[agent.email] = "won"
            except ChatTaken as taken:
                outcomes[agent.email] = str(taken.messages[0])
            finally:
                connections.close_all()

        threads = [threading.Thread(target=accept, args=(agent,)) for agent in agents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes.values()) == [
            "Another agent has just taken this chat, or the customer left it.",
            "won",
        ]
        chat.refresh_from_db()
        winner = next(email for email, outcome in outcomes.items() if outcome == "won")
        assert chat.agent is not None and chat.agent.email == winner
        assert chat.messages.filter(kind="joined").count() == 1
        assert chat.ticket.events.filter(kind=EventKind.CHAT_ACCEPTED).count() == 1
        chat_end(session=chat, by=chat.agent)


# --- Ending ----------------------------------------------------------------------------------


def test_ending_writes_the_transcript_into_the_timeline_at_the_times_it_was_written(
    chat: ChatSession, standard_user: User, ana: User
) -> None:
    chat_accept(session_id=chat.pk, agent=ana)
    chat_message_send(session=chat, author=ana, body="Which browser?")
    chat_message_send(session=chat, author=standard_user, body="Firefox")
    ChatMessage.objects.filter(session=chat).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )
    chat_end(session=chat, by=ana)
    chat_end(session=chat, by=standard_user)  # ending twice changes nothing
    ticket = Ticket.objects.get(pk=chat.ticket_id)
    assert ticket.status == Status.SOLVED and ticket.solved_at is not None
    lines = list(ticket.events.filter(kind=EventKind.CHAT_MESSAGE).order_by("created_at", "id"))
    assert [line.message for line in lines] == [
        "The survey link shows an error",
        "Which browser?",
        "Firefox",
    ]
    assert [line.actor for line in lines] == [standard_user, ana, standard_user]
    assert all(line.created_at < timezone.now() - timedelta(minutes=4) for line in lines)
    ended = ticket.events.get(kind=EventKind.CHAT_ENDED)
    assert ended.data["reason"] == ChatEndReason.AGENT
    chat.refresh_from_db()
    assert chat.end_reason == ChatEndReason.AGENT and chat.ended_by == ana
    # The customer saw it end on the page: no status email.
    assert mail.outbox == []


def test_the_transcript_is_emailed_once_per_request_however_often_the_task_runs(
    chat: ChatSession, standard_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    chat_end(session=chat, by=standard_user)
    with django_capture_on_commit_callbacks(execute=True):
        request = chat_transcript_request(session=chat, by=standard_user, key="k" * 32)
        chat_transcript_request(session=chat, by=standard_user, key="k" * 32)
    assert chat_transcript_send(request_id=request.pk) is False
    assert len(mail.outbox) == 1
    assert (
        chat.ticket.events.filter(kind=EventKind.EMAIL_SENT, data__email="transcript").count() == 1
    )


def test_the_transcript_waits_for_the_end_and_is_only_for_the_customer(
    chat: ChatSession, standard_user: User, ana: User
) -> None:
    with pytest.raises(ValidationError, match="once the chat has ended"):
        chat_transcript_request(session=chat, by=standard_user, key="k" * 32)
    chat_end(session=chat, by=standard_user)
    with pytest.raises(ValidationError, match="Only the customer"):
        chat_transcript_request(session=chat, by=ana, key="k" * 32)


# --- Switching -------------------------------------------------------------------------------


def test_a_switch_to_email_from_an_active_chat_stays_with_its_agent(
    chat: ChatSession, standard_user: User, ana: User
) -> None:
    chat_accept(session_id=chat.pk, agent=ana)
    ticket = chat_switch_to_email(session=chat, by=standard_user)
    assert ticket.channel == Channel.EMAIL
    assert ticket.assigned_to == ana
    assert ticket.status == Status.IN_PROGRESS
    with pytest.raises(ChatClosed):
        chat_message_send(session=chat, author=ana, body="Still there?")


# --- The sweep -------------------------------------------------------------------------------


def test_the_sweep_ends_silent_chats_and_turns_abandoned_ones_into_email_requests(
    standard_user: User,
    surveys_area: ProductArea,
    ana: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    silent = open_chat(standard_user, surveys_area, "Silent")
    chat_accept(session_id=silent.pk, agent=ana)
    left = open_chat(standard_user, surveys_area, "I left")
    staying = open_chat(standard_user, surveys_area, "Still here")
    later = timezone.now() + timedelta(minutes=31)
    ChatSession.objects.filter(pk=staying.pk).update(customer_seen_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        counts = chat_sweep(now=later)
    assert counts == {"ended": 1, "to_email": 1, "transcripts": 0, "failed": 0}
    silent.refresh_from_db()
    assert silent.end_reason == ChatEndReason.IDLE
    left_ticket = Ticket.objects.get(pk=left.ticket_id)
    assert left_ticket.channel == Channel.EMAIL
    assert left_ticket.chat.end_reason == ChatEndReason.ABANDONED
    assert [message.subject for message in mail.outbox] == [
        f"[{left_ticket.number}] We have your request: I left"
    ]
    assert Ticket.objects.get(pk=staying.ticket_id).channel == Channel.CHAT
    # Swept again: nothing more to do.
    assert chat_sweep(now=later) == {"ended": 0, "to_email": 0, "transcripts": 0, "failed": 0}


def test_the_outbox_sweep_sends_a_transcript_the_broker_never_got(
    chat: ChatSession, standard_user: User
) -> None:
    chat_end(session=chat, by=standard_user)
    chat_transcript_request(session=chat, by=standard_user, key="k" * 32)  # never published
    assert mail.outbox == []
    assert outbound_emails_sweep(now=timezone.now() + timedelta(minutes=1)) == 1
    assert [message.extra_headers["Message-ID"] for message in mail.outbox] == [
        OutboundEmail.objects.get(purpose="transcript").message_id
    ]
