"""The inbound mail server as its own process, over real SMTP on loopback (R-CONFIRM)."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.conf import settings
from django.core import mail

from hub.accounts.models import User
from tickets.models import Channel, EventKind, InboundEmail, InboundReason, InboundStatus, Team
from tickets.models import Ticket as TicketModel
from tickets.services import ticket_create

from .conftest import ROOT, free_port, wait_for

pytestmark = pytest.mark.integration

MAX_SIZE = 64 * 1024


@dataclass
class InboundServer:
    process: subprocess.Popen[bytes]
    port: int

    def send(self, message: EmailMessage, *, to: list[str] | None = None) -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.send_message(message, to_addrs=to)


@pytest.fixture
def inbound_server(worker_env: dict[str, str]) -> Iterator[InboundServer]:
    port = free_port()
    logs = ROOT / "var" / "test-workers"
    logs.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "manage.py", "inbound_mail",
        "--host", "127.0.0.1", "--port", str(port), "--max-size", str(MAX_SIZE),
    ]  # fmt: skip
    with (logs / f"inbound-mail-{os.getpid()}-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT
        )

    def listening() -> bool:
        assert process.poll() is None, "the inbound mail server exited at start"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    try:
        wait_for(listening, timeout=30, what="the inbound mail server to listen")
        yield InboundServer(process=process, port=port)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def confirmed_ticket(standard_user: User) -> tuple[TicketModel, mail.EmailMessage]:
    """A ticket and the confirmation email the customer received for it."""
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Dashboard export is empty",
    )
    confirmation = next(message for message in mail.outbox if ticket.number in message.subject)
    return ticket, confirmation


def answer_to(
    confirmation: mail.EmailMessage,
    *,
    text: str,
    sender: str = "standard@acme.example",
    to: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Sam Carter <{sender}>"
    message["To"] = to or confirmation.extra_headers["Reply-To"]
    message["Subject"] = f"Re: {confirmation.subject}"
    message["Message-ID"] = make_msgid(domain="mail.acme.example")
    message["In-Reply-To"] = confirmation.extra_headers["Message-ID"]
    message["References"] = (
        f"{confirmation.extra_headers['References']} {confirmation.extra_headers['Message-ID']}"
    )
    message.set_content(
        f"{text}\n\nOn Mon, 3 Feb 2025 at 10:00, Support <{settings.DEFAULT_FROM_EMAIL}> wrote:\n"
        f"> {confirmation.body.splitlines()[0]}\n"
    )
    return message


def timeline_replies(ticket: TicketModel) -> list[str]:
    return list(ticket.events.filter(kind=EventKind.EMAIL_REPLY).values_list("message", flat=True))


def test_a_reply_over_smtp_is_threaded_onto_the_ticket_once_even_if_delivered_twice(
    inbound_server: InboundServer, confirmed_ticket: tuple[TicketModel, mail.EmailMessage]
) -> None:
    ticket, confirmation = confirmed_ticket
    answer = answer_to(confirmation, text="The export is empty for every dashboard.")

    inbound_server.send(answer)
    # The 250 came after the row was committed: no waiting needed.
    assert timeline_replies(ticket) == ["The export is empty for every dashboard."]

    inbound_server.send(answer)  # a sending server retrying after a lost answer
    assert timeline_replies(ticket) == ["The export is empty for every dashboard."]
    inbound = InboundEmail.objects.get(message_id=answer["Message-ID"])
    assert inbound.status == InboundStatus.ATTACHED and inbound.ticket == ticket


def test_a_forged_token_over_smtp_is_kept_aside_and_not_threaded(
    inbound_server: InboundServer, confirmed_ticket: tuple[TicketModel, mail.EmailMessage]
) -> None:
    ticket, confirmation = confirmed_ticket
    forged = f"reply+{ticket.number.lower()}.{'f' * 20}@{settings.SUPPORT_REPLY_DOMAIN}"
    answer = answer_to(confirmation, text="Let me in.", to=forged)
    del answer["In-Reply-To"]
    del answer["References"]

    inbound_server.send(answer)

    inbound = InboundEmail.objects.get(message_id=answer["Message-ID"])
    assert (inbound.status, inbound.reason) == (
        InboundStatus.KEPT_ASIDE,
        InboundReason.FORGED_TOKEN,
    )
    assert forged in inbound.recipients
    assert timeline_replies(ticket) == []


def test_a_strangers_reply_over_smtp_is_kept_aside_and_not_threaded(
    inbound_server: InboundServer, confirmed_ticket: tuple[TicketModel, mail.EmailMessage]
) -> None:
    ticket, confirmation = confirmed_ticket
    answer = answer_to(confirmation, text="I am not Sam.", sender="boss@initech.example")

    inbound_server.send(answer)

    inbound = InboundEmail.objects.get(message_id=answer["Message-ID"])
    assert inbound.reason == InboundReason.UNKNOWN_SENDER and inbound.ticket == ticket
    assert "I am not Sam." in inbound.raw
    assert timeline_replies(ticket) == []


def test_a_recipient_outside_the_reply_domain_is_refused_with_550(
    inbound_server: InboundServer,
) -> None:
    message = EmailMessage()
    message["From"] = "someone@elsewhere.example"
    message["To"] = "postmaster@hub.example"
    message["Subject"] = "Relay this?"
    message.set_content("Hello")

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        inbound_server.send(message)

    assert refused.value.recipients["postmaster@hub.example"][0] == 550
    assert InboundEmail.objects.count() == 0


def test_a_message_over_the_size_limit_is_refused_with_552(
    inbound_server: InboundServer, confirmed_ticket: tuple[TicketModel, mail.EmailMessage]
) -> None:
    ticket, confirmation = confirmed_ticket
    answer = answer_to(confirmation, text="x" * 70 + ("\n" + "y" * 70) * (MAX_SIZE // 70))

    with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
        inbound_server.send(answer)

    assert refused.value.smtp_code == 552
    assert InboundEmail.objects.count() == 0


def test_the_server_stops_cleanly_on_sigterm(inbound_server: InboundServer) -> None:
    inbound_server.process.send_signal(signal.SIGTERM)

    assert inbound_server.process.wait(timeout=15) == 0
