"""Email in (R-CONFIRM): replies join their ticket; everything else is kept aside, never lost."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, cast

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from hub.accounts.models import User
from tickets import (
    admin_inbound,  # noqa: F401 - registers the admin until tickets.admin does
    reply_tokens,
)
from tickets.inbound import html_to_text, inbound_email_attach, inbound_email_receive, reply_text
from tickets.models import (
    Channel,
    EventKind,
    InboundEmail,
    InboundReason,
    InboundStatus,
    Status,
    Team,
    Ticket,
)
from tickets.services import ticket_create
from tickets.smtp import InboundMailHandler


@pytest.fixture
def ticket(standard_user: User) -> Ticket:
    return ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Survey link returns 404",
        contact_email="sam.carter@home.example",
    )


def reply(
    ticket: Ticket | None = None,
    *,
    text: str | None = "Thanks, the link works again.",
    html: str | None = None,
    sender: str = "standard@acme.example",
    to: str | None = None,
    in_reply_to: str | None = None,
    message_id: str | None = None,
    charset: str = "utf-8",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Sam Carter <{sender}>"
    message["To"] = to or (reply_tokens.reply_address(ticket.number) if ticket else "x@y.example")
    message["Subject"] = f"Re: {ticket.number if ticket else 'hello'}"
    message["Message-ID"] = message_id or make_msgid(domain="mail.acme.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text, charset=charset)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message


def receive(message: EmailMessage, **kwargs: Any) -> InboundEmail:
    return inbound_email_receive(message.as_bytes(), **kwargs)


def replies_on(ticket: Ticket) -> list[str]:
    return list(ticket.events.filter(kind=EventKind.EMAIL_REPLY).values_list("message", flat=True))


# --- Threading a reply -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reply_to_the_confirmation_email_joins_the_ticket_timeline(
    standard_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Help"
        )
    confirmation = mail.outbox[-1]
    answer = reply(
        ticket,
        to=confirmation.extra_headers["Reply-To"],
        in_reply_to=confirmation.extra_headers["Message-ID"],
        text=(
            "It happens on every survey.\n\n"
            f"On Mon, 3 Feb 2025 at 10:00, Support <{settings.DEFAULT_FROM_EMAIL}> wrote:\n"
            "> We have received your request.\n"
        ),
    )

    inbound = receive(answer)

    assert inbound.status == InboundStatus.ATTACHED and inbound.reason == ""
    assert inbound.ticket == ticket
    assert replies_on(ticket) == ["It happens on every survey."]
    assert inbound.event is not None and inbound.event.actor == standard_user
    assert inbound.event.data["message_id"] == answer["Message-ID"]


@pytest.mark.django_db
def test_the_thread_headers_find_the_ticket_when_the_reply_address_was_lost(
    ticket: Ticket,
) -> None:
    parent = reply_tokens.message_id(ticket.number, "confirmation")
    answer = reply(ticket, to=f"support@{settings.SUPPORT_REPLY_DOMAIN}", in_reply_to=parent)

    assert receive(answer).status == InboundStatus.ATTACHED
    assert replies_on(ticket) == ["Thanks, the link works again."]


@pytest.mark.django_db
def test_the_envelope_recipient_counts_when_the_reply_address_was_only_in_bcc(
    ticket: Ticket,
) -> None:
    answer = reply(ticket, to="colleague@acme.example")

    inbound = receive(answer, recipients=[reply_tokens.reply_address(ticket.number)])

    assert inbound.status == InboundStatus.ATTACHED
    assert reply_tokens.reply_address(ticket.number) in inbound.recipients


@pytest.mark.django_db
def test_the_contact_address_and_any_letter_case_are_accepted_as_the_requester(
    ticket: Ticket,
) -> None:
    receive(reply(ticket, sender="Sam.Carter@HOME.example", text="From home."))
    receive(reply(ticket, sender="STANDARD@acme.EXAMPLE", text="From work."))

    assert replies_on(ticket) == ["From home.", "From work."]


@pytest.mark.django_db
def test_a_reply_reopens_a_solved_ticket(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED)

    receive(reply(ticket, text="It broke again."))

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_the_same_message_delivered_twice_makes_one_timeline_entry(ticket: Ticket) -> None:
    answer = reply(ticket, message_id="<retry-1@mail.acme.example>")

    first = receive(answer)
    second = receive(answer)

    assert first.pk == second.pk
    assert InboundEmail.objects.count() == 1
    assert replies_on(ticket) == ["Thanks, the link works again."]


@pytest.mark.django_db
def test_a_kept_aside_message_delivered_twice_is_kept_once(ticket: Ticket) -> None:
    answer = reply(ticket, sender="someone@else.example", message_id="<twice@else.example>")

    receive(answer)
    receive(answer)

    assert InboundEmail.objects.filter(message_id="<twice@else.example>").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_message_at_the_same_moment_make_one_timeline_entry(
    ticket: Ticket,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks on the unique index")
    raw = reply(ticket, message_id="<race@mail.acme.example>").as_bytes()
    barrier = threading.Barrier(2)
    stored: list[int] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            stored.append(inbound_email_receive(raw).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(stored) == 2 and stored[0] == stored[1]
    assert replies_on(ticket) == ["Thanks, the link works again."]


# --- Reading the new text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Thanks, it works.\n\nOn Mon, Feb 3, 2025 at 10:00 AM Customer Success Hub <\n"
            "support@hub.example> wrote:\n\n> Your ticket CS-000123 is solved.\n>\n> Bye\n",
            "Thanks, it works.",
            id="en-gmail-wrapped",
        ),
        pytest.param(
            "Grazie, ora funziona.\n\nIl giorno lun 3 feb 2025 alle ore 10:00 Customer Success"
            " Hub <support@hub.example> ha scritto:\n\n> Il ticket CS-000123 è risolto.\n",
            "Grazie, ora funziona.",
            id="it-gmail",
        ),
        pytest.param(
            "Grazie.\n\nIl 03/02/2025 10:00, Assistenza ha scritto:\n> vecchio testo\n",
            "Grazie.",
            id="it-thunderbird",
        ),
        pytest.param(
            "Merci, ça marche.\n\nLe lun. 3 févr. 2025 à 10:00, Customer Success Hub <"
            "support@hub.example> a\u202fécrit\u202f:\n\n> Votre ticket est résolu.\n",
            "Merci, ça marche.",
            id="fr-gmail-narrow-space",
        ),
        pytest.param(
            "Merci.\n\nLe 03/02/2025 à 10:00, Assistance a écrit :\n> ancien\n",
            "Merci.",
            id="fr-thunderbird",
        ),
        pytest.param(
            "Still broken.\n\n-- \nSam Carter\nAcme Research\n", "Still broken.", id="signature"
        ),
        pytest.param(
            "See below.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nold\n",
            "See below.",
            id="outlook-original-message",
        ),
        pytest.param(
            "Ok.\n\n________________________________\nDa: Assistenza <s@hub.example>\n"
            "Inviato: lunedì 3 febbraio 2025 10:00\nA: Sam\n\nvecchio\n",
            "Ok.",
            id="outlook-it-header-block",
        ),
        pytest.param(
            "On Mon, 3 Feb 2025, Support wrote:\n> Did the fix help?\n\nYes, all good now.\n",
            "Yes, all good now.",
            id="answer-below-the-quote",
        ),
        pytest.param(
            "> Which browser?\nFirefox 130.\n> Which survey?\nThe NPS one.\n",
            "Firefox 130.\nThe NPS one.",
            id="interleaved",
        ),
    ],
)
def test_quoted_history_and_signatures_are_left_out(text: str, expected: str) -> None:
    assert reply_text(text) == expected


def test_an_html_mail_becomes_text_without_styles_scripts_or_the_quoted_thread() -> None:
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        '<div dir="ltr">It <b>works</b>&nbsp;now.<br>Thank you!</div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, 3 Feb 2025 at 10:00, '
        "Support &lt;support@hub.example&gt; wrote:<br></div>"
        "<blockquote><p>Your ticket is solved.</p></blockquote></div>"
        "<script>alert(1)</script></body></html>"
    )

    assert reply_text(html_to_text(html)) == "It works now.\nThank you!"


def test_html_blockquotes_count_as_quoted_lines() -> None:
    assert html_to_text("<p>Yes</p><blockquote><p>Really?</p></blockquote>").splitlines() == [
        "Yes",
        "",
        "> Really?",
        ">",
    ]


@pytest.mark.django_db
def test_an_html_only_reply_is_attached_as_text(ticket: Ticket) -> None:
    answer = reply(
        ticket,
        text=None,
        html="<p>Done &amp; dusted.</p><blockquote>&gt; old</blockquote>",
    )

    assert receive(answer).status == InboundStatus.ATTACHED
    assert replies_on(ticket) == ["Done & dusted."]


@pytest.mark.django_db
def test_the_plain_part_is_preferred_to_the_html_one(ticket: Ticket) -> None:
    receive(reply(ticket, text="Plain words.", html="<p>Rich words.</p>"))

    assert replies_on(ticket) == ["Plain words."]


@pytest.mark.django_db
def test_a_reply_in_another_charset_keeps_its_accents(ticket: Ticket) -> None:
    receive(reply(ticket, text="Però è già risolto.", charset="iso-8859-1"))

    assert replies_on(ticket) == ["Però è già risolto."]


# --- Kept aside, with a reason ---------------------------------------------------------------


@pytest.mark.django_db
def test_mail_without_any_ticket_token_is_kept_aside(ticket: Ticket) -> None:
    inbound = receive(reply(ticket, to=f"support@{settings.SUPPORT_REPLY_DOMAIN}"))

    assert (inbound.status, inbound.reason) == (InboundStatus.KEPT_ASIDE, InboundReason.NO_TOKEN)
    assert inbound.ticket is None
    assert replies_on(ticket) == []


@pytest.mark.django_db
def test_a_forged_reply_address_is_kept_aside(ticket: Ticket) -> None:
    forged = f"reply+{ticket.number.lower()}.{'0' * 20}@{settings.SUPPORT_REPLY_DOMAIN}"

    inbound = receive(reply(ticket, to=forged))

    assert inbound.reason == InboundReason.FORGED_TOKEN and inbound.ticket is None
    assert replies_on(ticket) == []


@pytest.mark.django_db
def test_a_forged_token_in_the_thread_headers_is_kept_aside(ticket: Ticket) -> None:
    forged = f"<{ticket.number.lower()}.{'a' * 20}.thread@{settings.SUPPORT_REPLY_DOMAIN}>"
    answer = reply(ticket, to=f"support@{settings.SUPPORT_REPLY_DOMAIN}", in_reply_to=forged)

    assert receive(answer).reason == InboundReason.FORGED_TOKEN
    assert replies_on(ticket) == []


@pytest.mark.django_db
def test_a_stranger_replying_with_a_genuine_address_is_kept_aside(ticket: Ticket) -> None:
    inbound = receive(reply(ticket, sender="boss@initech.example"))

    assert inbound.reason == InboundReason.UNKNOWN_SENDER
    # The agent sees which ticket it was about.
    assert inbound.ticket == ticket
    assert replies_on(ticket) == []


@pytest.mark.django_db
def test_a_reply_to_a_closed_ticket_is_kept_aside(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)

    inbound = receive(reply(ticket))

    assert inbound.reason == InboundReason.TICKET_CLOSED
    assert replies_on(ticket) == []


@pytest.mark.django_db
def test_a_reply_with_only_quoted_text_is_kept_aside_as_empty(ticket: Ticket) -> None:
    inbound = receive(reply(ticket, text="\n> Your ticket is solved.\n\n-- \nSam\n"))

    assert inbound.reason == InboundReason.EMPTY
    assert replies_on(ticket) == []


@pytest.mark.django_db
def test_an_out_of_office_answer_is_kept_aside_and_does_not_reopen_the_ticket(
    ticket: Ticket,
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED)

    inbound = receive(reply(ticket, text="I am away until Monday.", Auto_Submitted="auto-replied"))

    assert inbound.reason == InboundReason.AUTO_REPLY
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


@pytest.mark.django_db
def test_bytes_that_are_not_a_message_are_kept_aside_as_unparseable() -> None:
    inbound = inbound_email_receive(b"\x00\xff\xfe garbage with no header", recipients=["<a@b>"])

    assert inbound.reason == InboundReason.UNPARSEABLE
    assert inbound.raw.endswith("garbage with no header")
    assert inbound.recipients == "a@b"


@pytest.mark.django_db
def test_every_kept_aside_message_stays_with_its_raw_bytes(ticket: Ticket) -> None:
    answer = reply(ticket, sender="boss@initech.example")

    inbound = receive(answer)

    assert inbound.raw == answer.as_bytes().decode()
    assert inbound.sender == "boss@initech.example"
    assert inbound.subject == f"Re: {ticket.number}"


# --- Attaching by hand -----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_attaches_a_kept_aside_message_to_a_ticket(ticket: Ticket, agent: User) -> None:
    inbound = receive(reply(ticket, sender="boss@initech.example", text="Sam asked me to add."))

    inbound_email_attach(inbound=inbound, ticket=ticket, by=agent)

    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.ATTACHED
    assert inbound.reason == InboundReason.UNKNOWN_SENDER  # why it was kept aside, as history
    assert inbound.attached_by == agent and inbound.attached_at is not None
    assert replies_on(ticket) == ["Sam asked me to add."]
    assert inbound.event is not None and inbound.event.data["from"] == "boss@initech.example"


@pytest.mark.django_db
def test_a_message_cannot_be_attached_twice(ticket: Ticket, agent: User) -> None:
    inbound = receive(reply(ticket))

    with pytest.raises(ValidationError):
        inbound_email_attach(inbound=inbound, ticket=ticket, by=agent)
    assert len(replies_on(ticket)) == 1


@pytest.mark.django_db
def test_nothing_is_attached_to_a_closed_ticket(ticket: Ticket, agent: User) -> None:
    inbound = receive(reply(ticket, sender="boss@initech.example"))
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)

    with pytest.raises(ValidationError):
        inbound_email_attach(inbound=inbound, ticket=ticket, by=agent)
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.KEPT_ASIDE


# --- The agents' admin -----------------------------------------------------------------------


@pytest.fixture
def mail_agent(agent: User) -> User:
    agent.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tickets",
            codename__in=["view_inboundemail", "change_inboundemail"],
        )
    )
    return User.objects.get(pk=agent.pk)


@pytest.fixture
def agent_client(client: Client, mail_agent: User) -> Client:
    client.force_login(mail_agent)
    return client


@pytest.mark.django_db
def test_agents_filter_kept_aside_mail_by_reason_and_search_it_by_sender(
    agent_client: Client, ticket: Ticket
) -> None:
    receive(reply(ticket, sender="boss@initech.example", text="Stranger"))
    receive(reply(ticket, text="Requester"))
    url = reverse("admin:tickets_inboundemail_changelist")

    kept = agent_client.get(url, {"status__exact": "kept_aside", "reason__exact": "unknown_sender"})
    found = agent_client.get(url, {"q": "initech"})

    assert kept.status_code == 200 and found.status_code == 200
    assert list(kept.context["cl"].result_list.values_list("sender", flat=True)) == [
        "boss@initech.example"
    ]
    assert [row.sender for row in found.context["cl"].result_list] == ["boss@initech.example"]


@pytest.mark.django_db
def test_an_agent_attaches_kept_aside_mail_by_ticket_number_from_its_page(
    agent_client: Client, ticket: Ticket
) -> None:
    inbound = receive(reply(ticket, to="support@" + settings.SUPPORT_REPLY_DOMAIN))
    url = reverse("admin:tickets_inboundemail_change", args=[inbound.pk])

    page = agent_client.get(url)
    response = agent_client.post(url, {"attach_to": ticket.number.lower()})

    assert page.status_code == 200 and b"Thanks, the link works again." in page.content
    assert response.status_code == 302
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.ATTACHED and inbound.ticket == ticket
    assert replies_on(ticket) == ["Thanks, the link works again."]


@pytest.mark.django_db
def test_attaching_to_an_unknown_ticket_number_says_so(
    agent_client: Client, ticket: Ticket
) -> None:
    inbound = receive(reply(ticket, to="support@" + settings.SUPPORT_REPLY_DOMAIN))
    url = reverse("admin:tickets_inboundemail_change", args=[inbound.pk])

    response = agent_client.post(url, {"attach_to": "CS-999999"})

    assert response.status_code == 200
    assert "CS-999999" in str(response.context["adminform"].form.errors["attach_to"])
    inbound.refresh_from_db()
    assert inbound.is_kept_aside


@pytest.mark.django_db
def test_the_admin_action_attaches_mail_to_the_ticket_its_address_names(
    agent_client: Client, ticket: Ticket
) -> None:
    stranger = receive(reply(ticket, sender="boss@initech.example", text="Adding context."))
    orphan = receive(reply(ticket, to="support@" + settings.SUPPORT_REPLY_DOMAIN))

    response = agent_client.post(
        reverse("admin:tickets_inboundemail_changelist"),
        {"action": "attach_to_named_ticket", "_selected_action": [stranger.pk, orphan.pk]},
    )

    assert response.status_code == 302
    stranger.refresh_from_db()
    orphan.refresh_from_db()
    assert stranger.status == InboundStatus.ATTACHED
    assert orphan.status == InboundStatus.KEPT_ASIDE
    assert replies_on(ticket) == ["Adding context."]


@pytest.mark.django_db
def test_an_agent_without_change_permission_cannot_attach(client: Client, ticket: Ticket) -> None:
    viewer = User.objects.create_user(
        username="viewer@hub.example", email="viewer@hub.example", is_staff=True
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_inboundemail"))
    client.force_login(viewer)
    inbound = receive(reply(ticket, sender="boss@initech.example"))

    response = client.post(
        reverse("admin:tickets_inboundemail_change", args=[inbound.pk]),
        {"attach_to": ticket.number},
    )

    assert response.status_code == 403
    inbound.refresh_from_db()
    assert inbound.is_kept_aside


# --- The SMTP handler ------------------------------------------------------------------------


NO_SERVER = cast(SMTP, None)  # the handler never talks to the protocol object


def _envelope(content: bytes, rcpt_tos: list[str]) -> Envelope:
    envelope = Envelope()
    envelope.content = envelope.original_content = content
    envelope.rcpt_tos = list(rcpt_tos)
    return envelope


def _session() -> Session:
    session = Session(loop=cast(asyncio.AbstractEventLoop, None))
    session.peer = "127.0.0.1"
    return session


def test_the_smtp_handler_takes_only_reply_domain_recipients() -> None:
    handler = InboundMailHandler(domain="reply.hub.example")
    envelope = _envelope(b"", [])

    refused = async_to_sync(handler.handle_RCPT)(
        NO_SERVER, _session(), envelope, "someone@hub.example", []
    )
    accepted = async_to_sync(handler.handle_RCPT)(
        NO_SERVER, _session(), envelope, "reply+cs-000001.abc@Reply.Hub.Example", []
    )

    assert refused.startswith("550 ") and accepted.startswith("250 ")
    assert envelope.rcpt_tos == ["reply+cs-000001.abc@Reply.Hub.Example"]


def test_the_smtp_handler_refuses_a_message_over_the_size_limit() -> None:
    handler = InboundMailHandler(domain="reply.hub.example", max_size=100)

    answer = async_to_sync(handler.handle_DATA)(
        NO_SERVER, _session(), _envelope(b"x" * 101, ["a@b"])
    )

    assert answer.startswith("552 ")


@pytest.mark.django_db
def test_the_smtp_handler_answers_250_once_the_message_is_stored(ticket: Ticket) -> None:
    # The server's own store also recycles the connection, as after a request; not in a test's
    # transaction.
    handler = InboundMailHandler(
        store=lambda raw, recipients: inbound_email_receive(raw, recipients=recipients)
    )
    address = reply_tokens.reply_address(ticket.number)

    answer = async_to_sync(handler.handle_DATA)(
        NO_SERVER, _session(), _envelope(reply(ticket).as_bytes(), [address])
    )

    assert answer.startswith("250 ")
    assert replies_on(ticket) == ["Thanks, the link works again."]


def test_the_smtp_handler_asks_for_a_retry_when_the_database_fails() -> None:
    def broken_store(raw: bytes, recipients: Any) -> InboundEmail:
        raise OperationalError("connection refused")

    handler = InboundMailHandler(domain="reply.hub.example", store=broken_store)

    answer = async_to_sync(handler.handle_DATA)(NO_SERVER, _session(), _envelope(b"x", ["a@b"]))

    assert answer.startswith("451 ")
    assert handler.in_flight == 0
