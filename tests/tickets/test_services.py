from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.accounts.models import OutboundEmail, User
from routing.models import ProductArea
from routing.selectors import callback_wait_estimate
from tests.hub import contact_world
from tickets import emails, services
from tickets.models import CallbackRequest, Channel, EventKind, Status, Team, Ticket
from tickets.queues import callback_facts
from tickets.selectors import queue_status, queue_statuses
from tickets.services import (
    callback_enqueue,
    callback_position,
    callback_take_next,
    outbox_sweep,
    ticket_comment,
    ticket_confirmation_send,
    ticket_confirmations_send,
    ticket_create,
    ticket_reply,
    waiting_callbacks_enqueue,
    waiting_confirmations_send,
)


def phone(user: User, area: ProductArea | None = None, **extra: object) -> Ticket:
    """A phone ticket, queued as the worker would after commit unless it is due later."""
    due_later = "callback_due_at" in extra
    ticket = ticket_create(
        requester=user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Callback please",
        language=str(extra.pop("language", "en")),
        product_area=area,
        phone_number="+390612345678",
        recording_consent=True,
        **extra,  # type: ignore[arg-type]
    )
    if not due_later:
        callback_enqueue(ticket_id=ticket.pk)
    return ticket


@pytest.mark.django_db
def test_a_retried_submission_with_the_same_key_returns_the_first_ticket(
    standard_user: User,
) -> None:
    first = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Twice",
        idempotency_key="form-render-1",
    )
    again = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Twice",
        idempotency_key="form-render-1",
    )
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_click_racing_itself_makes_one_ticket(standard_user: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections")
    results: list[int] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        try:
            barrier.wait()
            ticket = ticket_create(
                requester=standard_user,
                channel=Channel.EMAIL,
                team=Team.TECHNICAL,
                subject="Double click",
                idempotency_key="render-42",
            )
            results.append(ticket.pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_phone_ticket_joins_its_queue_once_with_its_position(
    standard_user: User, brand_admin: User, surveys_area: ProductArea
) -> None:
    first = phone(standard_user, surveys_area)
    second = phone(brand_admin, surveys_area)
    other_language = phone(brand_admin, surveys_area, language="it")
    assert callback_enqueue(ticket_id=first.pk) == callback_enqueue(ticket_id=first.pk)
    assert CallbackRequest.objects.filter(ticket=first).count() == 1
    assert callback_position(second.callback) == 2
    assert callback_position(other_language.callback) == 1
    first.refresh_from_db()
    assert first.status == Status.QUEUED and first.queued_at is not None
    assert first.events.filter(kind=EventKind.QUEUED).count() == 1


@pytest.mark.django_db
def test_taking_the_next_callback_picks_the_oldest_that_matches_the_agent(
    standard_user: User, brand_admin: User, agent: User, surveys_area: ProductArea
) -> None:
    italian = phone(standard_user, surveys_area, language="it")
    english = phone(brand_admin, surveys_area)
    taken = callback_take_next(
        agent=agent, languages=["en"], area_ids=[surveys_area.pk], teams=["general"]
    )
    assert taken is not None and taken.ticket_id == english.pk
    english.refresh_from_db()
    assert english.status == Status.IN_PROGRESS and english.assigned_to == agent
    assert english.events.filter(kind=EventKind.CALLED_BACK).exists()
    # The Italian caller is next for an Italian-speaking agent, and first in their queue.
    assert callback_position(italian.callback) == 1
    assert (
        callback_take_next(agent=agent, languages=["en"], area_ids=None, teams=["general"]) is None
    )


@pytest.mark.django_db(transaction=True)
def test_two_agents_pressing_at_once_get_two_different_callbacks(
    make_member: object, acme: object, make_agent: object, surveys_area: ProductArea
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    for n in range(6):
        phone(make_member(f"caller{n}@acme.example", acme), surveys_area)  # type: ignore[operator]
    agents = [make_agent(f"agent{n}@hub.example") for n in range(6)]  # type: ignore[operator]
    taken: list[int | None] = []
    barrier = threading.Barrier(len(agents))

    def press(agent: User) -> None:
        try:
            barrier.wait()
            callback = callback_take_next(
                agent=agent, languages=["en"], area_ids=None, teams=["general"]
            )
            taken.append(callback.ticket_id if callback else None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert None not in taken
    assert len(set(taken)) == 6
    assert CallbackRequest.objects.filter(taken_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_callback_scheduled_for_the_languages_opening_joins_the_queue_when_due(
    standard_user: User,
) -> None:
    opening = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Rome
    ticket = phone(standard_user, language="it", callback_due_at=opening)
    assert outbox_sweep(now=opening - timedelta(minutes=1))["queued"] == 0
    assert not CallbackRequest.objects.filter(ticket=ticket).exists()
    assert outbox_sweep(now=opening)["queued"] == 1
    assert CallbackRequest.objects.get(ticket=ticket).enqueued_at == opening


@pytest.mark.django_db
def test_an_enterprise_request_made_out_of_hours_is_handed_over_when_the_team_is_back(
    seat_holder: User,
) -> None:
    back = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Sunday 17:00 in Denver
    ticket = phone(seat_holder, handover_due_at=back)
    callback_enqueue(ticket_id=ticket.pk, now=back - timedelta(hours=20))
    assert outbox_sweep(now=back - timedelta(seconds=1))["handed_over"] == 0
    assert outbox_sweep(now=back)["handed_over"] == 1
    assert outbox_sweep(now=back)["handed_over"] == 0
    ticket.refresh_from_db()
    assert ticket.team == Team.ENTERPRISE and ticket.handed_over_at == back
    assert ticket.callback.team == "enterprise"
    assert ticket.events.filter(kind=EventKind.HANDOVER).count() == 1


@pytest.mark.django_db
def test_an_agent_reply_is_on_the_timeline_and_emailed_to_the_customer(
    standard_user: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Quota"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, agent=agent, body="Your quota was raised to 50,000.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    reply = [m for m in mail.outbox if "Re: [" in m.subject]
    assert len(reply) == 1 and "50,000" in reply[0].body
    assert reply[0].extra_headers["Reply-To"].startswith("reply+cs-")


@pytest.mark.django_db
def test_a_customer_comment_reopens_a_solved_ticket_but_not_a_closed_one(
    standard_user: User, agent: User
) -> None:
    from tickets.services import ticket_transition

    ticket = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Sync"
    )
    ticket_transition(ticket=ticket, to=Status.SOLVED, actor=agent)
    ticket_comment(ticket=ticket, author=standard_user, body="Still broken")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    ticket_transition(ticket=ticket, to=Status.CLOSED, actor=standard_user)
    with pytest.raises(ValidationError):
        ticket_comment(ticket=ticket, author=standard_user, body="Hello?")


@pytest.mark.django_db
def test_when_an_agent_takes_a_call_everyone_behind_moves_up_on_their_timeline(
    make_member: object, acme: object, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    callers = [
        phone(make_member(f"queue{n}@acme.example", acme))  # type: ignore[operator]
        for n in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        callback_take_next(agent=agent, languages=["en"], area_ids=None, teams=["general"])
    moves = {
        ticket.pk: list(
            ticket.events.filter(kind=EventKind.POSITION_CHANGED).values_list(
                "data__position", flat=True
            )
        )
        for ticket in callers
    }
    assert moves == {callers[0].pk: [], callers[1].pk: [1], callers[2].pk: [2]}


def _submitted(user: User, area: ProductArea, **extra: object) -> Ticket:
    """A phone ticket just submitted, its task still in the broker (nothing runs it here)."""
    return ticket_create(
        requester=user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Call me",
        product_area=area,
        phone_number="+442079460018",
        **extra,  # type: ignore[arg-type]
    )


def _phone_tickets_waiting(customer: User, other: User, area: ProductArea) -> list[Ticket]:
    """Submitted in this order: three English ones (the two last by ``other``), an Italian
    one, one scheduled three hours ahead and one waiting for its Verify & Confirm."""
    later = timezone.now() + timedelta(hours=3)
    return [
        _submitted(customer, area),
        _submitted(other, area),
        _submitted(other, area),
        _submitted(customer, area, language="it"),
        _submitted(customer, area, callback_due_at=later),
        _submitted(customer, area, verification_required=True),
    ]


@pytest.mark.django_db
def test_a_worker_that_is_behind_queues_every_waiting_phone_ticket_oldest_first(
    standard_user: User, brand_admin: User, surveys_area: ProductArea
) -> None:
    oldest, middle, newest, italian, scheduled, unverified = _phone_tickets_waiting(
        standard_user, brand_admin, surveys_area
    )
    waited = timezone.now() - timedelta(seconds=settings.TICKETS_WORKER_BEHIND_SECONDS + 1)
    Ticket.objects.update(created_at=waited)

    # The newest one's task runs first, late: every waiting one is queued with it, in the
    # order they were submitted.
    callback = callback_enqueue(ticket_id=newest.pk)
    assert callback is not None and callback.ticket_id == newest.pk
    queued = {ticket.pk: ticket for ticket in Ticket.objects.filter(queued_at__isnull=False)}
    assert set(queued) == {oldest.pk, middle.pk, newest.pk, italian.pk}
    assert all(ticket.status == Status.QUEUED for ticket in queued.values())
    assert [
        callback_position(CallbackRequest.objects.get(ticket=t)) for t in (oldest, middle, newest)
    ] == [1, 2, 3]
    assert callback_position(CallbackRequest.objects.get(ticket=italian)) == 1
    for ticket, place in ((oldest, 1), (middle, 2), (newest, 3), (italian, 1)):
        events = list(ticket.events.filter(kind=EventKind.QUEUED).values_list("data", flat=True))
        assert events == [{"position": place, "team": "general"}]
    # Their own tasks, when they come, find them queued.
    assert callback_enqueue(ticket_id=oldest.pk) == CallbackRequest.objects.get(ticket=oldest)
    assert CallbackRequest.objects.count() == 4
    assert not CallbackRequest.objects.filter(ticket__in=[scheduled, unverified]).exists()


@pytest.mark.django_db
def test_a_ticket_that_reaches_the_worker_in_time_is_queued_alone(
    standard_user: User, surveys_area: ProductArea
) -> None:
    tickets = [_submitted(standard_user, surveys_area) for _ in range(2)]
    callback_enqueue(ticket_id=tickets[1].pk)
    assert list(CallbackRequest.objects.values_list("ticket_id", flat=True)) == [tickets[1].pk]


@pytest.mark.django_db
def test_one_run_confirms_every_emailed_request_waiting_oldest_first_each_once(
    standard_user: User, brand_admin: User, surveys_area: ProductArea
) -> None:
    def emailed(user: User, subject: str, **extra: object) -> Ticket:
        return ticket_create(
            requester=user,
            channel=Channel.EMAIL,
            team=Team.TECHNICAL,
            subject=subject,
            product_area=surveys_area,
            **extra,  # type: ignore[arg-type]
        )

    first = emailed(standard_user, "First")
    second = emailed(brand_admin, "Second")
    third = emailed(standard_user, "Third", language="it")
    unverified = emailed(standard_user, "Not yet", verification_required=True)
    waiting_phone = _submitted(standard_user, surveys_area)
    # Nothing ran on commit here (a test's transaction never commits): all five wait.

    assert waiting_confirmations_send() == 3
    confirmed = Ticket.objects.filter(confirmation_sent_at__isnull=False)
    assert set(confirmed.values_list("pk", flat=True)) == {first.pk, second.pk, third.pk}
    # The outbox holds them in the order they were submitted, each in its ticket's language.
    outbox = list(OutboundEmail.objects.filter(purpose="confirmation").order_by("pk"))
    assert [email.to for email in outbox] == [
        [standard_user.email],
        [brand_admin.email],
        [standard_user.email],
    ]
    assert outbox[0].subject == f"[{first.number}] We have your request: First"
    assert outbox[2].subject == f"[{third.number}] Abbiamo ricevuto la tua richiesta: Third"
    for ticket in (first, second, third):
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
    # The phone ticket's confirmation follows its queueing; the unverified one waits for
    # its Verify & Confirm.
    assert not Ticket.objects.filter(
        pk__in=[unverified.pk, waiting_phone.pk], confirmation_sent_at__isnull=False
    ).exists()
    # Run again (a second wake-up, a task delivered twice): nothing is sent twice.
    assert waiting_confirmations_send() == 0
    assert ticket_confirmation_send(ticket_id=first.pk) is False
    assert OutboundEmail.objects.filter(purpose="confirmation").count() == 3


def _emailed(user: User, subject: str) -> Ticket:
    return ticket_create(
        requester=user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject=subject
    )


def _confirmation_cannot_be_written(monkeypatch: pytest.MonkeyPatch, broken: Ticket) -> None:
    real_message = emails.confirmation_message

    def message_or_failure(ticket: Ticket, **known: Any) -> Any:
        if ticket.pk == broken.pk:
            raise ValueError("a template that cannot be drawn for this ticket")
        return real_message(ticket, **known)

    monkeypatch.setattr(emails, "confirmation_message", message_or_failure)


@pytest.mark.django_db
def test_a_confirmation_that_cannot_be_written_holds_up_no_other(
    standard_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = _emailed(standard_user, "Broken"), _emailed(standard_user, "Fine")
    _confirmation_cannot_be_written(monkeypatch, broken)
    assert waiting_confirmations_send() == 1
    assert Ticket.objects.get(pk=fine.pk).confirmation_sent_at is not None
    # Left for the sweeper, which counts the failure (and parks the ticket after a few).
    assert Ticket.objects.get(pk=broken.pk).confirmation_sent_at is None
    later = timezone.now() + timedelta(minutes=5)
    assert outbox_sweep(now=later)["failed"] == 1
    assert OutboundEmail.objects.filter(purpose="confirmation").count() == 1


@pytest.mark.django_db
def test_confirmations_sent_together_go_oldest_first_once_each_past_one_that_fails(
    standard_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, broken, sent_before, last = (
        _emailed(standard_user, subject) for subject in ("First", "Broken", "Sent", "Last")
    )
    assert ticket_confirmation_send(ticket_id=sent_before.pk) is True
    _confirmation_cannot_be_written(monkeypatch, broken)
    # Fewer to a transaction than there are tickets, so that the batches are seen to join.
    monkeypatch.setattr(services, "WAITING_BATCH", 2)
    ids = [last.pk, sent_before.pk, broken.pk, first.pk]

    assert ticket_confirmations_send(ticket_ids=ids) == 2
    outbox = OutboundEmail.objects.filter(purpose="confirmation").order_by("pk")
    assert [email.subject.split("] ")[1] for email in outbox] == [
        "We have your request: Sent",
        "We have your request: First",
        "We have your request: Last",
    ]
    assert Ticket.objects.get(pk=broken.pk).confirmation_sent_at is None
    for ticket in (first, sent_before, last):
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
    # Delivered twice: nothing is sent twice, and the broken one is still left to the sweeper.
    assert ticket_confirmations_send(ticket_ids=ids) == 0
    assert OutboundEmail.objects.filter(purpose="confirmation").count() == 3


@pytest.mark.django_db
def test_one_run_queues_every_waiting_phone_ticket_oldest_first_then_confirms_them(
    standard_user: User,
    brand_admin: User,
    surveys_area: ProductArea,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    oldest, middle, newest, italian, scheduled, unverified = _phone_tickets_waiting(
        standard_user, brand_admin, surveys_area
    )
    emailed = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="By email"
    )
    # Nothing ran on commit here (a test's transaction never commits): all wait.

    with django_capture_on_commit_callbacks(execute=True):
        assert waiting_callbacks_enqueue() == 4
    queued = Ticket.objects.filter(queued_at__isnull=False)
    assert set(queued.values_list("pk", flat=True)) == {oldest.pk, middle.pk, newest.pk, italian.pk}
    for ticket, place in ((oldest, 1), (middle, 2), (newest, 3), (italian, 1)):
        events = list(ticket.events.filter(kind=EventKind.QUEUED).values_list("data", flat=True))
        assert events == [{"position": place, "team": "general"}]
        # Each queueing calls for its confirmation (run here at once: tasks are eager).
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1
    # A run delivered twice, or a second wake-up: nothing is queued or confirmed twice.
    assert waiting_callbacks_enqueue() == 0
    assert CallbackRequest.objects.count() == 4
    assert OutboundEmail.objects.filter(purpose="confirmation").count() == 4
    assert not CallbackRequest.objects.filter(ticket__in=[scheduled, unverified, emailed]).exists()


def _confirmation_reads(tickets: list[Ticket]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert ticket_confirmations_send(ticket_ids=[ticket.pk for ticket in tickets]) == len(
            tickets
        )
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.django_db
def test_phone_confirmations_written_together_read_their_callbacks_together(
    standard_user: User, surveys_area: ProductArea
) -> None:
    contact_world.open_world()  # agents on shift: each email works out a wait
    # The first run also reads what each process reads once (the shared configuration).
    _confirmation_reads([phone(standard_user, surveys_area)])
    few = _confirmation_reads([phone(standard_user, surveys_area) for _n in range(2)])
    many = _confirmation_reads([phone(standard_user, surveys_area) for _n in range(6)])

    def callbacks_read(statements: list[str]) -> list[str]:
        return [sql for sql in statements if sql.startswith('SELECT "tickets_callbackrequest"')]

    # Read once for the batch, not once for each email, and so are their places in the
    # queue and the waits their forms quoted: six emails cost no more statements than two.
    assert len(callbacks_read(few)) == len(callbacks_read(many)) == 1
    assert len(many) == len(few), "\n".join(many)
    for place, email in enumerate(
        OutboundEmail.objects.filter(purpose="confirmation").order_by("pk"), start=1
    ):
        assert f"Your place in the callback queue: {place}." in email.body


@pytest.mark.django_db
def test_queue_places_read_together_are_the_places_read_one_by_one(
    standard_user: User, brand_admin: User, agent: User, surveys_area: ProductArea
) -> None:
    contact_world.open_world()
    taken, *english = [phone(standard_user, surveys_area) for _n in range(4)]
    italian = phone(brand_admin, surveys_area, language="it")
    without_area = [phone(brand_admin) for _n in range(2)]
    scheduled = phone(
        standard_user, surveys_area, callback_due_at=timezone.now() + timedelta(hours=3)
    )
    emailed = ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="By email"
    )
    called = callback_take_next(
        agent=agent, languages=["en"], area_ids=[surveys_area.pk], teams=["general"]
    )
    assert called is not None and called.ticket_id == taken.pk
    now = timezone.now()
    # The last English caller was quoted the wait of the ninth in line: it reads differently.
    quoted = callback_wait_estimate(
        language="en",
        area_id=surveys_area.pk,
        team="general",
        position=9,
        now=now,
        queues=callback_facts(now, area_id=surveys_area.pk, language="en"),
    )
    services.wait_quote_record(ticket=english[-1], estimate=quoted, now=now)

    tickets = list(Ticket.objects.prefetch_related("callback").order_by("pk"))
    together = queue_statuses(tickets, now=now)
    assert together == {
        ticket.pk: queue_status(Ticket.objects.get(pk=ticket.pk), now=now) for ticket in tickets
    }
    places = {pk: status.position if status else None for pk, status in together.items()}
    assert [places[ticket.pk] for ticket in english] == [1, 2, 3]
    assert [places[ticket.pk] for ticket in without_area] == [1, 2]
    assert places[italian.pk] == 1
    assert places[taken.pk] is None and places[emailed.pk] is None
    assert together[scheduled.pk] is not None and together[scheduled.pk].joins_queue_at
    assert together[english[-1].pk] is not None and together[english[-1].pk].quoted is not None


@pytest.mark.django_db
def test_a_queue_place_that_cannot_be_worked_out_holds_up_no_other_confirmation(
    standard_user: User, surveys_area: ProductArea, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, broken, last = [phone(standard_user, surveys_area) for _n in range(3)]
    alone = services.queue_status

    def together(tickets: Any, **known: Any) -> Any:
        raise ArithmeticError("a wait that cannot be worked out")

    def one_by_one(ticket: Ticket, **known: Any) -> Any:
        if ticket.pk == broken.pk:
            raise ArithmeticError("a wait that cannot be worked out")
        return alone(ticket, **known)

    monkeypatch.setattr(services, "queue_statuses", together)
    monkeypatch.setattr(services, "queue_status", one_by_one)
    assert ticket_confirmations_send(ticket_ids=[first.pk, broken.pk, last.pk]) == 2
    unconfirmed = Ticket.objects.filter(confirmation_sent_at__isnull=True)
    assert list(unconfirmed.values_list("pk", flat=True)) == [broken.pk]
    bodies = list(
        OutboundEmail.objects.filter(purpose="confirmation")
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert len(bodies) == 2
    assert "Your place in the callback queue: 1." in bodies[0]
    assert "Your place in the callback queue: 3." in bodies[1]
