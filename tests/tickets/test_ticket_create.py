from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections

from hub.accounts.models import User
from routing.models import ProductArea
from tickets.models import Channel, EventKind, Team, Ticket
from tickets.services import ticket_create


@pytest.mark.smoke
@pytest.mark.django_db(transaction=True)
def test_a_new_ticket_gets_a_number_a_timeline_and_a_confirmation_email(
    standard_user: User, surveys_area: ProductArea
) -> None:
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="  Survey link returns 404  ",
        description="Since this morning the anonymous link fails.",
        product_area=surveys_area,
    )
    ticket.refresh_from_db()
    assert ticket.number.startswith("CS-") and len(ticket.number) == 9
    assert ticket.subject == "Survey link returns 404"
    assert ticket.organisation == standard_user.membership.organisation
    assert ticket.language == "en"
    assert ticket.confirmation_sent_at is not None
    assert [event.kind for event in ticket.events.all()] == [
        EventKind.CREATED,
        EventKind.EMAIL_SENT,
    ]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["standard@acme.example"]
    assert ticket.number in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and ticket.number in html


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_is_written_in_the_requesters_language(
    make_member: object, acme: object
) -> None:
    user = make_member("italo@acme.example", acme, preferred_language="it")  # type: ignore[operator]
    ticket_create(requester=user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Aiuto")
    assert "Abbiamo ricevuto" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("language", "lines", "cell"),
    [
        ("en", ["Subject: Export", "Channel: Email"], "<td>Email</td>"),
        ("de", ["Betreff: Export", "Kanal: E-Mail"], "<td>E-Mail</td>"),
        # Each language writes a label and its colon its own way: French with a space
        # before it, Japanese with a full-width colon.
        ("fr", ["Objet : Export", "Canal : E-mail"], "<td>E-mail</td>"),
        ("ja", ["件名：Export", "チャネル：メール"], "<td>メール</td>"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_the_confirmation_names_the_contact_method_and_its_language_in_the_requesters_language(
    make_member: object, acme: object, language: str, lines: list[str], cell: str
) -> None:
    user = make_member(f"{language}@acme.example", acme, preferred_language=language)  # type: ignore[operator]
    ticket_create(requester=user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export")
    message = mail.outbox[0]
    assert [line for line in lines if line in message.body.splitlines()] == lines
    html = message.alternatives[0][0]
    assert cell in html
    # The HTML part says which language it is in, for screen readers and mail clients.
    assert f'<html lang="{language}">' in html


@pytest.mark.django_db
def test_a_staff_member_without_an_organisation_cannot_open_a_ticket(agent: User) -> None:
    with pytest.raises(ValidationError):
        ticket_create(requester=agent, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Hi")
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_subject_is_refused_and_nothing_is_saved(standard_user: User) -> None:
    with pytest.raises(ValidationError) as error:
        ticket_create(
            requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="   "
        )
    assert "subject" in error.value.message_dict
    assert Ticket.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_channel_is_refused_and_nothing_is_saved(standard_user: User) -> None:
    with pytest.raises(ValidationError):
        ticket_create(
            requester=standard_user, channel="pigeon", team=Team.TECHNICAL, subject="Hello"
        )
    assert Ticket.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_share_a_number(standard_user: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the sequence is PostgreSQL's; SQLite serialises writers anyway")
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def submit() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                ticket = ticket_create(
                    requester=standard_user,
                    channel=Channel.EMAIL,
                    team=Team.TECHNICAL,
                    subject="Concurrent",
                )
                numbers.append(ticket.number)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(numbers) == 40 == len(set(numbers))
    assert Ticket.objects.count() == 40
