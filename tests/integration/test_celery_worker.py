"""A real worker, on real Redis, runs the task that ticket_create queues on commit."""

from __future__ import annotations

import re

import pytest

from hub.accounts.models import OutboundEmail, User
from tickets.models import Channel, EventKind, Team, Ticket
from tickets.services import ticket_create

from .conftest import tasks_to_the_broker, wait_for, worker_log

pytestmark = pytest.mark.integration


def test_a_worker_sends_the_confirmation_of_a_ticket_created_through_the_service(
    start_worker: object, standard_user: User
) -> None:
    worker = start_worker()  # type: ignore[operator]
    with tasks_to_the_broker():
        ticket = ticket_create(
            requester=standard_user,
            channel=Channel.EMAIL,
            team=Team.TECHNICAL,
            subject="Queued by a real worker",
        )

    def confirmed() -> bool:
        return Ticket.objects.filter(pk=ticket.pk, confirmation_sent_at__isnull=False).exists()

    wait_for(confirmed, timeout=60, what="the worker to send the confirmation")
    assert worker.poll() is None, "the worker died"
    assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1


def test_a_phone_ticket_is_queued_confirmed_and_mailed_from_one_message(
    start_worker: object, standard_user: User, request: pytest.FixtureRequest
) -> None:
    # Queueing the callback calls for the confirmation, which calls for the email: the
    # worker does all three from the one message the submission published.
    worker = start_worker()  # type: ignore[operator]
    with tasks_to_the_broker():
        ticket = ticket_create(
            requester=standard_user,
            channel=Channel.PHONE,
            team=Team.TECHNICAL,
            subject="Call me back",
            phone_number="+442079460018",
        )

    def mailed() -> bool:
        return OutboundEmail.objects.filter(
            purpose="confirmation", to=[standard_user.email], sent_at__isnull=False
        ).exists()

    wait_for(mailed, timeout=60, what="the worker to queue, confirm and mail the ticket")
    assert worker.poll() is None, "the worker died"
    ticket.refresh_from_db()
    assert ticket.queued_at is not None and ticket.confirmation_sent_at is not None
    assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1
    assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
    received = re.findall(r"Task ([\w.]+)\[[^\]]+\] received", worker_log(request, 0).read_text())
    assert received == ["tickets.tasks.enqueue_callback"]
