"""A real worker, on real Redis, runs the task that ticket_create queues on commit."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from hub.accounts.models import OutboundEmail, User
from tickets.models import Channel, EventKind, Team, Ticket
from tickets.services import callback_enqueue, ticket_create

from .conftest import tasks_to_the_broker, wait_for, worker_log

pytestmark = pytest.mark.integration


def _wait_ready(request: pytest.FixtureRequest, n: int) -> None:
    def ready() -> bool:
        log = worker_log(request, n)
        return log.exists() and " ready." in log.read_text()

    wait_for(ready, timeout=60, what="the worker to start")


def _tasks_received(request: pytest.FixtureRequest) -> list[str]:
    """The names of the tasks the test's first worker took, in order."""
    return re.findall(r"Task ([\w.]+)\[[^\]]+\] received", worker_log(request, 0).read_text())


def _wait_confirmations_sent(count: int, *, what: str) -> None:
    def sent() -> bool:
        emails = OutboundEmail.objects.filter(purpose="confirmation", sent_at__isnull=False)
        return emails.count() == count

    wait_for(sent, timeout=60, what=what)


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
    _wait_ready(request, 0)  # a ticket that waits for the worker finds it behind (below)
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
    received = _tasks_received(request)
    assert received == ["tickets.tasks.enqueue_waiting_callbacks"]


def test_a_worker_that_is_behind_queues_every_waiting_callback_before_it_writes_their_emails(
    start_worker: object, standard_user: User, request: pytest.FixtureRequest
) -> None:
    def phone_ticket(n: int) -> Ticket:
        return ticket_create(
            requester=standard_user,
            channel=Channel.PHONE,
            team=Team.TECHNICAL,
            subject=f"Call me back {n}",
            phone_number="+442079460018",
        )

    def submitted_long_ago(*tickets: Ticket) -> None:
        waited = timedelta(seconds=settings.TICKETS_WORKER_BEHIND_SECONDS + 5)
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
            created_at=timezone.now() - waited
        )

    # Submitted while no worker runs, as under a load the worker cannot keep up with: the
    # first submission publishes the run that will queue them all, the others none. The
    # first is queued late on its own (as the sweeper does) before the others are
    # submitted: its confirmation reaches the broker before their queueing is done.
    with tasks_to_the_broker():
        first = phone_ticket(0)
        submitted_long_ago(first)
        callback_enqueue(ticket_id=first.pk)
        others = [phone_ticket(n) for n in (1, 2)]
    submitted_long_ago(*others)
    worker = start_worker(concurrency=1)  # type: ignore[operator]

    _wait_confirmations_sent(3, what="the worker to queue, confirm and mail every ticket")
    assert worker.poll() is None, "the worker died"
    rows = Ticket.objects.filter(pk__in=[first.pk, *(t.pk for t in others)])
    last_queued = max(rows.values_list("queued_at", flat=True))
    first_confirmed = min(rows.values_list("confirmation_sent_at", flat=True))
    assert last_queued < first_confirmed, "a confirmation went before a callback's queueing"
    for ticket in rows:
        assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
    # One run queued the two others; as they had waited, it sent their confirmations on,
    # behind the queueing, in one message, where the first one's already waited.
    received = _tasks_received(request)
    assert (
        received
        == ["tickets.tasks.enqueue_waiting_callbacks"]
        + ["tickets.tasks.send_ticket_confirmations"] * 2
    )


def test_requests_emailed_while_the_worker_is_busy_are_confirmed_by_one_task(
    start_worker: object, standard_user: User, request: pytest.FixtureRequest
) -> None:
    # Submitted while no worker takes tasks, as in a burst the worker cannot keep up with:
    # the first submission publishes the run that will confirm them all, the others none.
    with tasks_to_the_broker():
        tickets = [
            ticket_create(
                requester=standard_user,
                channel=Channel.EMAIL,
                team=Team.TECHNICAL,
                subject=f"Question {n}",
            )
            for n in range(5)
        ]
    worker = start_worker(concurrency=1)  # type: ignore[operator]

    _wait_confirmations_sent(5, what="the worker to confirm and mail every request")
    assert worker.poll() is None, "the worker died"
    received = _tasks_received(request)
    assert received == ["tickets.tasks.send_waiting_confirmations"]
    outbox = OutboundEmail.objects.filter(purpose="confirmation").order_by("pk")
    assert [email.subject.split("] ")[1] for email in outbox] == [
        f"We have your request: Question {n}" for n in range(5)
    ]
    for ticket in tickets:
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
    # All were confirmed before the first email went: a written confirmation is safe.
    rows = Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets])
    last_confirmed = max(rows.values_list("confirmation_sent_at", flat=True))
    assert all(email.sent_at is not None and email.sent_at >= last_confirmed for email in outbox)


def test_phone_tickets_that_come_together_are_all_queued_before_any_confirmation(
    start_worker: object, standard_user: User, request: pytest.FixtureRequest
) -> None:
    # Five phone requests committed at once reach a ready worker in time, but together:
    # the run queues all five, then sends their confirmations on, behind the queueing, in
    # one message.
    start_worker()  # type: ignore[operator]
    _wait_ready(request, 0)
    with tasks_to_the_broker(), transaction.atomic():
        tickets = [
            ticket_create(
                requester=standard_user,
                channel=Channel.PHONE,
                team=Team.TECHNICAL,
                subject=f"Call me back {n}",
                phone_number="+442079460018",
            )
            for n in range(5)
        ]
    _wait_confirmations_sent(5, what="the worker to queue, confirm and mail every ticket")
    rows = Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets])
    last_queued = max(rows.values_list("queued_at", flat=True))
    first_confirmed = min(rows.values_list("confirmation_sent_at", flat=True))
    assert last_queued < first_confirmed, "a confirmation went before a callback's queueing"
    assert _tasks_received(request) == [
        "tickets.tasks.enqueue_waiting_callbacks",
        "tickets.tasks.send_ticket_confirmations",
    ]


def _sessions_opened() -> int:
    """Sessions PostgreSQL has opened to the test's database so far, by its statistics (a
    backend reports its own within a second or so)."""
    time.sleep(2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        (sessions,) = cursor.fetchone()
    return int(sessions)


def _emailed_to_the_broker(user: User, subject: str) -> None:
    with tasks_to_the_broker():
        ticket_create(requester=user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject=subject)


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(
    start_worker: object, standard_user: User, request: pytest.FixtureRequest
) -> None:
    worker = start_worker(concurrency=1)  # type: ignore[operator]
    _wait_ready(request, 0)
    before = _sessions_opened()
    for n in range(6):
        _emailed_to_the_broker(standard_user, f"Request {n}")
        # One at a time, so that each is confirmed by a task of its own.
        _wait_confirmations_sent(n + 1, what=f"the worker to confirm request {n}")
    assert worker.poll() is None, "the worker died"
    assert _tasks_received(request).count("tickets.tasks.send_waiting_confirmations") == 6
    # Opening a session (a backend started, signed in) for each task cost the worker a
    # tenth of its time under a load of submissions: its one pool process opens one.
    assert _sessions_opened() - before <= 1


def test_a_kept_connection_that_died_between_tasks_is_replaced_before_the_next_one(
    start_worker: object, standard_user: User, request: pytest.FixtureRequest
) -> None:
    worker = start_worker(concurrency=1)  # type: ignore[operator]
    _wait_ready(request, 0)
    for n in range(2):
        if n:
            # As a PostgreSQL restart or an idle timeout would: the worker's session ends.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        _emailed_to_the_broker(standard_user, f"Request {n}")
        # No beat runs here: only the task itself can confirm it.
        _wait_confirmations_sent(n + 1, what=f"the worker to confirm request {n}")
    assert worker.poll() is None, "the worker died"
    assert " raised " not in worker_log(request, 0).read_text()
