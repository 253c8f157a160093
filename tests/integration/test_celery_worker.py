"""A real worker, on real Redis, runs the task that ticket_create queues on commit."""

from __future__ import annotations

import pytest
from django.test import override_settings

from hub.accounts.models import User
from hub.celery import app as celery_app
from tickets.models import Channel, EventKind, Team, Ticket
from tickets.services import ticket_create

from .conftest import wait_for

pytestmark = pytest.mark.integration


def test_a_worker_sends_the_confirmation_of_a_ticket_created_through_the_service(
    start_worker: object, standard_user: User
) -> None:
    worker = start_worker()  # type: ignore[operator]
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        celery_app.conf.task_always_eager = False
        try:
            ticket = ticket_create(
                requester=standard_user,
                channel=Channel.EMAIL,
                team=Team.TECHNICAL,
                subject="Queued by a real worker",
            )
        finally:
            celery_app.conf.task_always_eager = True

    def confirmed() -> bool:
        return Ticket.objects.filter(pk=ticket.pk, confirmation_sent_at__isnull=False).exists()

    wait_for(confirmed, timeout=60, what="the worker to send the confirmation")
    assert worker.poll() is None, "the worker died"
    assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
