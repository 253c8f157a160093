"""Writes on tickets: every form, task and admin action that changes a ticket calls these."""

from __future__ import annotations

import codecs
import json
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any

from celery import Task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When, prefetch_related_objects
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.accounts.models import User
from hub.accounts.outbox import outbound_email_queue, outbound_emails_queue
from hub.follow_ups import follow_up_here, follow_ups_after
from routing.erlang import WaitEstimate
from routing.hours import CONFERENCE_SLOT, open_intervals
from routing.models import Agent, ProductArea, SupportTeam
from routing.selectors import agent_schedule, conference_slots_for
from tickets import emails, states
from tickets.models import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_MAX_FILES,
    Attachment,
    CallbackRequest,
    Channel,
    ConferenceBooking,
    EventKind,
    ServiceLevelTarget,
    Status,
    Team,
    Ticket,
    TicketEvent,
    WaitQuote,
)
from tickets.numbering import next_ticket_number
from tickets.search import SEARCHABLE_EVENT_KINDS, ticket_search_refresh
from tickets.selectors import (
    callback_position,
    queue_status,
    queue_statuses,
    ticket_due_times_for,
    ticket_replayed,
)
from tickets.service_levels import DEFAULT_TARGETS
from tickets.sweeping import sweep_due, sweep_each

logger = logging.getLogger(__name__)


class TicketLocked(ValidationError):
    """The ticket waits for the customer's Verify & Confirm: nothing may be done to it yet."""


# Until when (time.monotonic) this process leaves the broker alone after a failed publish.
_broker_paused_until = 0.0


# On Redis, kombu keeps each priority step (0, 3, 6, 9) in a list of its own and a worker
# takes from the lowest number first; a message published without one waits at 0.
LATER_PRIORITY = 6


def enqueue_on_commit(task: Task[Any, Any], *args: Any, later: bool = False) -> None:
    """Queue a task once the transaction commits (inside a worker's task, run it there at
    once: ``hub.follow_ups``). ``later`` always publishes it, behind every message without a
    priority. A broker that is down must not fail the request: the row is committed, and the
    outbox sweeper sends what never reached the broker.
    """
    transaction.on_commit(lambda: _publish(task, args, later=later))


def _publish(task: Task[Any, Any], args: tuple[Any, ...], *, later: bool = False) -> bool:
    """Whether the task was published (or run here); False leaves it to the sweeper.

    After a failed publish the process skips the broker for TICKETS_PUBLISH_PAUSE_SECONDS,
    so a hung Redis (every publish waiting out its timeout) delays one request, not all."""
    global _broker_paused_until
    if not later and follow_up_here(task, *args):
        return True
    if time.monotonic() < _broker_paused_until:
        logger.info("broker paused, %s(%s) left to the sweeper", task.name, args)
        return False
    try:
        if later:
            task.apply_async(args, priority=LATER_PRIORITY)
        else:
            task.delay(*args)
    except Exception as error:  # noqa: BLE001 - any broker failure; the sweeper recovers it
        if not task.app.conf.task_always_eager:  # eager: the task failed, not a broker
            _broker_paused_until = time.monotonic() + settings.TICKETS_PUBLISH_PAUSE_SECONDS
        logger.warning("could not queue %s(%s) (%s): left to the sweeper", task.name, args, error)
        return False
    return True


# Set while a run of waiting_confirmations_send (waiting_callbacks_enqueue) is on its way to a
# worker.
CONFIRMATIONS_WAKE_KEY = "tickets:confirmations-wake"
CALLBACKS_WAKE_KEY = "tickets:callbacks-wake"


def confirmations_wake_on_commit() -> None:
    """Once the transaction commits, make sure a run of ``waiting_confirmations_send`` is on
    its way (see ``_wake_on_commit``)."""
    from tickets import tasks  # noqa: PLC0415 - the tasks call these services

    _wake_on_commit(CONFIRMATIONS_WAKE_KEY, tasks.send_waiting_confirmations)


def callbacks_wake_on_commit() -> None:
    """Once the transaction commits, make sure a run of ``waiting_callbacks_enqueue`` is on
    its way (see ``_wake_on_commit``)."""
    from tickets import tasks  # noqa: PLC0415 - the tasks call these services

    _wake_on_commit(CALLBACKS_WAKE_KEY, tasks.enqueue_waiting_callbacks)


def _wake_on_commit(key: str, task: Task[Any, Any]) -> None:
    """Publish ``task`` once the transaction commits, unless a run of it is already waiting
    for a worker: that run will find this ticket too, since it deletes ``key`` before it
    looks.

    Under a burst of submissions this publishes one task for many tickets instead of one
    each: a task's round trip through the broker costs the worker more than queueing or
    confirming a ticket, and the request more than writing it. A wake that never arrives
    (the broker lost it) is followed by another after TICKETS_WAKE_SECONDS, and by the
    outbox sweeper.
    """

    def wake() -> None:
        # The cache falls back to this process's memory while Redis is away: the broker is
        # then away too, and the sweeper does what was submitted meanwhile.
        if cache.add(key, True, timeout=settings.TICKETS_WAKE_SECONDS) and not _publish(task, ()):
            # None is on its way after all: the next submission tries the broker again.
            cache.delete(key)

    transaction.on_commit(wake)


def ticket_create(
    *,
    requester: User,
    channel: Channel | str,
    team: Team | str,
    subject: str,
    description: str = "",
    product_area: ProductArea | None = None,
    language: str | None = None,
    idempotency_key: str | None = None,
    phone_number: str = "",
    phone_extension: str = "",
    contact_email: str = "",
    account_access_allowed: bool = False,
    recording_consent: bool | None = None,
    callback_due_at: datetime | None = None,
    handover_due_at: datetime | None = None,
    verification_required: bool = False,
    event_data: dict[str, Any] | None = None,
    made_by: User | None = None,
    assigned_to: User | None = None,
    written_with: Callable[[Ticket], None] | None = None,
) -> Ticket:
    """Make a ticket with its first timeline event; queue its work once committed.

    ``made_by`` is whoever made it for the requester (a TSM passing a question on); the
    timeline names them instead of the requester. ``assigned_to`` is the member of staff it
    is for from the start (the organisation's TSM for a Success Check). ``written_with``
    writes what belongs with the new ticket in its transaction (a callback's quoted wait,
    the assistant conversation that led here): called from inside another transaction
    instead, the ticket would need a savepoint.

    With an idempotency key, a retried submission returns the ticket the first one made.
    """
    membership = getattr(requester, "membership", None)
    if membership is None:
        raise ValidationError(_("Only members of an organisation can open a ticket."))
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": _("Enter a subject.")})
    # A key used before is refused by the database (its unique constraint); the first
    # ticket is then looked up and returned below. The forms look it up before all else.
    now = timezone.now()
    ticket = Ticket(
        requester=requester,
        organisation_id=membership.organisation_id,
        team=team,
        product_area=product_area,
        channel=channel,
        language=language or requester.preferred_language,
        subject=subject,
        description=description.strip(),
        idempotency_key=idempotency_key or None,
        phone_number=phone_number,
        phone_extension=phone_extension,
        contact_email=contact_email or requester.email,
        account_access_allowed=account_access_allowed,
        account_access_changed_at=now,
        recording_consent=recording_consent,
        recording_consent_at=now if recording_consent is not None else None,
        callback_due_at=callback_due_at,
        handover_due_at=handover_due_at,
        verification_required=verification_required,
        assigned_to=assigned_to,
    )
    if ticket.channel == Channel.PHONE and not ticket.phone_number:
        raise ValidationError({"phone_number": _("Enter the phone number we should call")})
    due = ticket_due_times_for(
        organisation_id=membership.organisation_id,
        channel=ticket.channel,
        team=ticket.team,
        language=ticket.language,
        created_at=now,
    )
    ticket.first_response_due_at = due.first_response_due_at
    ticket.resolution_due_at = due.resolution_due_at
    try:
        # The fields only: the caller has read the requester, organisation and area, and the
        # database enforces the constraints (checking each here was a query in a savepoint).
        ticket.full_clean(
            exclude=["number", "requester", "organisation", "product_area", "assigned_to"],
            validate_constraints=False,
        )
    except ValidationError:
        # The same submission may have committed meanwhile: answer with its ticket.
        replay = ticket_replayed(requester, idempotency_key)
        if replay is not None:
            return replay
        raise
    try:
        with transaction.atomic():
            ticket.number = next_ticket_number()
            ticket.save()
            TicketEvent.objects.create(
                ticket=ticket,
                kind=EventKind.CREATED,
                actor=made_by or requester,
                data=event_data or {},
            )
            if written_with is not None:
                written_with(ticket)

            if ticket.channel == Channel.PHONE and (
                callback_due_at is None or callback_due_at <= now
            ):
                # The confirmation follows the queueing, so it can give the position.
                callbacks_wake_on_commit()
            elif not verification_required and ticket.channel != Channel.CHAT:
                # A live chat sends none: the customer is on its page.
                confirmations_wake_on_commit()
            if verification_required or ticket.channel == Channel.CHAT:
                ticket_search_refresh([ticket.pk])
            # Otherwise the confirmation's task writes the search document: the customer does
            # not wait for it, and the sweeper gets there when the broker does not.
    except IntegrityError:
        # The same submission raced us to the unique key: answer with its ticket.
        replay = ticket_replayed(requester, idempotency_key)
        if replay is not None:
            return replay
        raise
    return ticket


def _record(
    ticket: Ticket,
    kind: EventKind,
    *,
    actor: User | None = None,
    message: str = "",
    **data: Any,
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor, message=message, data=data
    )
    if message and kind in SEARCHABLE_EVENT_KINDS:
        ticket_search_refresh([ticket.pk])
    return event


def _first_response_record(ticket: Ticket, update: list[str], now: datetime) -> None:
    """The first time an agent answers or takes the ticket, for its first-response target;
    the caller saves ``update`` with the ticket locked."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        update.append("first_responded_at")


def _guard_verified(ticket: Ticket) -> None:
    if ticket.awaits_verification:
        raise TicketLocked(
            _("This ticket waits for the customer to verify it: no action can be taken yet.")
        )


def ticket_transition(
    *,
    ticket: Ticket,
    to: Status | str,
    actor: User | None,
    note: str = "",
    notify: bool = True,
) -> Ticket:
    """Move a ticket to another status, if the state machine allows it.

    ``notify=False`` sends the customer no status email (a live chat: they are watching)."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _guard_verified(locked)
        if locked.status == to:
            return locked
        if not states.can_move(locked.status, to):
            raise ValidationError(
                _("A ticket cannot go from “%(current)s” to “%(target)s”.")
                % {"current": locked.get_status_display(), "target": Status(to).label}
            )
        previous = locked.status
        locked.status = to
        update = ["status", "updated_at"]
        if to == Status.SOLVED:
            locked.solved_at = timezone.now()
            update.append("solved_at")
        locked.save(update_fields=update)
        _record(locked, EventKind.STATUS_CHANGED, actor=actor, message=note, old=previous, new=to)
        if to in (Status.SOLVED, Status.CLOSED):
            _callback_withdraw(locked)
        if notify and (actor is None or actor.pk != locked.requester_id):
            ticket_status_email_send(ticket_id=locked.pk, status=to)
    ticket.status, ticket.solved_at = locked.status, locked.solved_at
    return locked


def ticket_assign(*, ticket: Ticket, agent: User | None, by: User) -> Ticket:
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _guard_verified(locked)
        if agent is not None and not agent.is_staff:
            raise ValidationError(_("Only support staff can be assigned a ticket."))
        locked.assigned_to = agent
        update = ["assigned_to", "updated_at"]
        if agent is not None:
            _first_response_record(locked, update, timezone.now())
        locked.save(update_fields=update)
        _record(
            locked,
            EventKind.STATUS_CHANGED,
            actor=by,
            message=_("Assigned to %(agent)s") % {"agent": agent} if agent else _("Unassigned"),
            assigned_to=agent.pk if agent else None,
        )
    return locked


def ticket_reply(
    *, ticket: Ticket, agent: User, body: str, move_to: Status | str | None = None
) -> TicketEvent:
    """An agent's reply, and the status it leaves the ticket in: on the timeline, and one
    email to the customer that says both (never a reply and a status email at once).

    A reply to a new, queued or solved ticket puts it in progress unless ``move_to`` says
    where it goes. A move the state machine refuses saves nothing, the reply included."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a reply.")})
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _guard_verified(locked)
        before = locked.status
        event = _record(locked, EventKind.COMMENT, actor=agent, message=body, by_staff=True)
        answered: list[str] = []
        _first_response_record(locked, answered, event.created_at)
        if answered:
            locked.save(update_fields=answered)
        if locked.status in (Status.NEW, Status.QUEUED, Status.SOLVED) and (
            move_to is None or move_to != locked.status
        ):
            locked = ticket_transition(
                ticket=locked, to=Status.IN_PROGRESS, actor=agent, notify=False
            )
        if move_to:
            locked = ticket_transition(ticket=locked, to=move_to, actor=agent, notify=False)
        if locked.status != before:
            event.data = {**event.data, "status": locked.status}
            event.save(update_fields=["data"])
        ticket_reply_email_send(event_id=event.pk)
    ticket.status, ticket.solved_at = locked.status, locked.solved_at
    return event


def ticket_comment(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    source: str = "web",
    idempotency_key: str | None = None,
) -> TicketEvent:
    """The customer adds to their ticket (from the hub, or by replying to an email).

    With an idempotency key, a retried or double-clicked submission adds the comment once.
    """
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    kind = EventKind.EMAIL_REPLY if source == "email" else EventKind.COMMENT
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if idempotency_key:
            # The ticket's row lock serialises the same key's racing submissions.
            earlier = TicketEvent.objects.filter(
                ticket=locked, actor=author, data__idempotency_key=idempotency_key
            ).first()
            if earlier is not None:
                return earlier
        if locked.status == Status.CLOSED:
            raise ValidationError(_("This ticket is closed. Open a new request instead."))
        extra = {"idempotency_key": idempotency_key} if idempotency_key else {}
        event = _record(locked, kind, actor=author, message=body, source=source, **extra)
        if locked.status in (Status.WAITING_ON_CUSTOMER, Status.SOLVED):
            locked.status = Status.IN_PROGRESS
            locked.save(update_fields=["status", "updated_at"])
            _record(
                locked,
                EventKind.STATUS_CHANGED,
                actor=author,
                old="customer_reply",
                new=Status.IN_PROGRESS,
            )
        else:
            locked.save(update_fields=["updated_at"])
    return event


def ticket_account_access_set(*, ticket: Ticket, allowed: bool, by: User) -> Ticket:
    """The customer grants or withdraws support's permission to log into their account."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.account_access_allowed == allowed:
            return locked
        locked.account_access_allowed = allowed
        locked.account_access_changed_at = timezone.now()
        locked.save(
            update_fields=["account_access_allowed", "account_access_changed_at", "updated_at"]
        )
        _record(
            locked,
            EventKind.STATUS_CHANGED,
            actor=by,
            message=(
                _("Permission to log into the account granted")
                if allowed
                else _("Permission to log into the account withdrawn")
            ),
            account_access=allowed,
        )
    return locked


# --- Ticket email -------------------------------------------------------------------------
# Each writes one message to the outbox once, however often it is asked (a task delivered
# twice, the sweeper and a late task together): the row is locked, the email written and
# the row marked in one transaction. The outbox sends it, and retries what fails.


def ticket_confirmation_send(*, ticket_id: int) -> bool:
    """The confirmation of a request (R-CONFIRM); False when it was sent already."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("requester", "product_area")
            .filter(pk=ticket_id, confirmation_sent_at__isnull=True)
            .first()
        )
        if ticket is None:
            return False
        _confirmations_write([ticket])
    return True


def ticket_confirmations_send(*, ticket_ids: list[int]) -> int:
    """The confirmations of these requests (R-CONFIRM), oldest first; how many were sent.
    One sent already is skipped; one that cannot be written is logged and left to the
    sweeper, and never holds up the others. All are written before their emails go."""
    unconfirmed = Ticket.objects.filter(confirmation_sent_at__isnull=True).order_by(
        "created_at", "pk"
    )
    waiting = list(unconfirmed.filter(pk__in=ticket_ids).values_list("pk", flat=True))
    sent = 0
    with follow_ups_after():
        for start in range(0, len(waiting), WAITING_BATCH):
            with transaction.atomic():
                tickets = list(
                    unconfirmed.select_for_update(of=("self",))
                    .select_related("requester", "product_area")
                    .filter(pk__in=waiting[start : start + WAITING_BATCH])
                )
                sent += len(tickets) - len(_confirmations_write(tickets, skip_failures=True))
    return sent


def waiting_confirmations_send() -> int:
    """Confirm every request whose confirmation waits for this (see
    ``confirmations_wake_on_commit``), oldest first; how many were sent. About a hundred are
    written before their emails go: written, a confirmation is safe (the outbox sends it
    whatever happens), so the last is not kept waiting behind the sending of the first.

    Rows another worker is confirming are skipped, not waited for, and each is written once
    however many runs overlap: the row is locked and still unconfirmed when written."""
    failed: set[int] = set()  # not tried again in this run

    def confirm_batch(done: int) -> tuple[int, int]:
        with transaction.atomic():
            tickets = list(
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("requester", "product_area")
                .filter(confirmation_sent_at__isnull=True, verification_required=False)
                .exclude(channel__in=[Channel.PHONE, Channel.CHAT])
                # One the sweeper gave up on waits for an operator, not for every run.
                .filter(sweep_parked_at__isnull=True)
                .exclude(pk__in=failed)
                .order_by("created_at", "pk")[:WAITING_BATCH]
            )
            failed_now = _confirmations_write(tickets, skip_failures=True)
        failed.update(failed_now)
        return len(tickets), len(tickets) - len(failed_now)

    return _waiting_work_do(CONFIRMATIONS_WAKE_KEY, confirm_batch)


# How many waiting tickets one transaction of a run queues or confirms (few enough that the
# first of them is not long kept waiting for the last), and how many a run does before the
# work they call for (confirmations, emails) is done.
WAITING_BATCH = 25
WAITING_BEFORE_FOLLOW_UPS = 100


def _waiting_work_do(wake_key: str, do_batch: Callable[[int], tuple[int, int]]) -> int:
    """The loop of ``waiting_callbacks_enqueue`` and ``waiting_confirmations_send``; how many
    tickets were done. ``do_batch(done so far)`` takes up to WAITING_BATCH waiting tickets in
    one transaction and returns how many it found and how many it did."""
    # Before looking: a ticket committed from now on wakes another run.
    cache.delete(wake_key)
    done = 0
    while True:
        with follow_ups_after():
            for _batch in range(WAITING_BEFORE_FOLLOW_UPS // WAITING_BATCH):
                found, did = do_batch(done)
                done += did
                if found < WAITING_BATCH:
                    return done


def _confirmations_write(tickets: list[Ticket], *, skip_failures: bool = False) -> set[int]:
    """Write the confirmations of these locked, unconfirmed tickets to the outbox and mark
    them sent, inside the caller's transaction. Their search documents are written here
    too when missing: the customer did not wait for them at submission.

    ``skip_failures``: a confirmation that cannot be written is logged and left unsent (the
    sweeper tries it again, counts it and parks it), so that it never holds up the others;
    the ids of those are returned.
    """
    # What the emails show of each ticket's area and booking, and of a phone ticket's place
    # in its queue, in a query each for them all rather than one per email.
    prefetch_related_objects(tickets, "product_area__translations", "conference")
    prefetch_related_objects(
        [ticket for ticket in tickets if ticket.channel == Channel.PHONE], "callback"
    )
    try:
        queues = queue_statuses(tickets)
    except Exception:  # noqa: BLE001 - read again one by one below, where a failure is the ticket's own
        if not skip_failures:
            raise
        queues = {}
    written: list[tuple[Ticket, EmailMultiAlternatives]] = []
    failed: set[int] = set()
    for ticket in tickets:
        try:
            queue = queues[ticket.pk] if ticket.pk in queues else queue_status(ticket)
            written.append((ticket, emails.confirmation_message(ticket, queue=queue)))
        except Exception:  # noqa: BLE001 - whatever it is, the sweeper counts and parks it
            if not skip_failures:
                raise
            logger.exception("confirmation of %s not written: left to the sweeper", ticket.pk)
            failed.add(ticket.pk)
    if not written:
        return failed
    confirmed = [ticket for ticket, message in written]
    ids = [ticket.pk for ticket in confirmed]
    ticket_search_refresh([ticket.pk for ticket in confirmed if ticket.search_document is None])
    outbound_emails_queue([message for _ticket, message in written], purpose="confirmation")
    now = timezone.now()
    Ticket.objects.filter(pk__in=ids).update(confirmation_sent_at=now)
    for ticket in confirmed:
        ticket.confirmation_sent_at = now
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket_id=pk, kind=EventKind.EMAIL_SENT, data={"email": "confirmation"})
        for pk in ids
    )
    return failed


def ticket_reply_email_send(*, event_id: int) -> bool:
    """An agent's reply, emailed to the customer."""
    with transaction.atomic():
        event = (
            TicketEvent.objects.select_for_update(of=("self",))
            .select_related("ticket__requester", "actor")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.data.get("emailed_at"):
            return False
        outbound_email_queue(emails.reply_message(event), purpose="reply")
        event.data = {**event.data, "emailed_at": timezone.now().isoformat()}
        event.save(update_fields=["data"])
    return True


def ticket_status_email_send(*, ticket_id: int, status: str) -> bool:
    """Tell the customer their ticket changed status (one email per change)."""
    with transaction.atomic():
        event = (
            TicketEvent.objects.select_for_update(of=("self",))
            .select_related("ticket__requester")
            .filter(ticket_id=ticket_id, kind=EventKind.STATUS_CHANGED, data__new=status)
            .order_by("-created_at", "-pk")
            .first()
        )
        if event is None or event.data.get("emailed_at"):
            return False
        outbound_email_queue(emails.status_message(event.ticket, status), purpose="status")
        event.data = {**event.data, "emailed_at": timezone.now().isoformat()}
        event.save(update_fields=["data"])
    return True


# --- The callback queue (R-QUEUE) ----------------------------------------------------------


_QUEUEING_FIELDS = (
    "channel", "status", "team", "language", "product_area_id", "created_at", "callback_due_at",
    "queued_at", "updated_at",
)  # fmt: skip
# How many waiting phone tickets a worker that is behind queues in one go.
QUEUE_CATCH_UP_LIMIT = 200


def callback_enqueue(*, ticket_id: int, now: datetime | None = None) -> CallbackRequest | None:
    """Put a phone ticket in its queue once, however often this runs.

    The confirmation is written at once by this worker, unless the ticket waited to reach it:
    then the broker likely holds other submissions' tasks too, so every phone ticket still
    waiting for its place is queued now, oldest first (their own tasks then find them
    queued), and their confirmations wait behind the queueing of those still to come: a
    place in the queue decides when the customer is called, an email only tells them."""
    now = now or timezone.now()
    with transaction.atomic():
        # The fields read and written here only: a ticket's text and search document are
        # the bulk of its row.
        ticket = (
            Ticket.objects.select_for_update().only(*_QUEUEING_FIELDS).filter(pk=ticket_id).first()
        )
        if ticket is None or ticket.channel != Channel.PHONE or not ticket.is_open:
            return None
        existing = CallbackRequest.objects.filter(ticket=ticket).first()
        if existing is not None:
            return existing
        if not _waited(ticket, now):
            return _callbacks_queue([ticket], now=now, confirm_later=False)[ticket.pk]
        # This ticket is locked by this transaction, so it is among those found.
        waiting = (
            _waiting_for_a_place(now)
            .exclude(pk=ticket.pk)
            .order_by("created_at", "pk")[: QUEUE_CATCH_UP_LIMIT - 1]
        )
        catching_up = sorted([ticket, *waiting], key=lambda t: (t.created_at, t.pk))
        return _callbacks_queue(catching_up, now=now, confirm_later=True)[ticket.pk]


# Up to how many tickets found waiting together have their confirmations written by the run
# that queued them; more go back to the broker, behind the queueing.
CALLBACKS_CONFIRMED_AT_ONCE = 3


def waiting_callbacks_enqueue() -> int:
    """Give every phone ticket waiting for its place in the queue that place, oldest first
    (see ``callbacks_wake_on_commit``); how many were queued. About a hundred are queued
    before their confirmations are written, and when they waited to reach the worker, or
    came more than a few at once, the confirmations go back to the broker behind the
    queueing still to come: a place in the queue decides when the customer is called, an
    email only tells them.

    Rows another worker is queueing are skipped, not waited for, and each is queued once
    however many runs overlap: the row is locked and still waiting when queued."""

    def queue_batch(done: int) -> tuple[int, int]:
        with transaction.atomic():
            now = timezone.now()
            tickets = list(_waiting_for_a_place(now).order_by("created_at", "pk")[:WAITING_BATCH])
            if tickets:
                burst = done > 0 or len(tickets) > CALLBACKS_CONFIRMED_AT_ONCE
                _callbacks_queue(tickets, now=now, confirm_later=burst or _waited(tickets[0], now))
        return len(tickets), len(tickets)

    return _waiting_work_do(CALLBACKS_WAKE_KEY, queue_batch)


def _waited(ticket: Ticket, now: datetime) -> bool:
    """Whether the phone ticket reached the worker more than TICKETS_WORKER_BEHIND_SECONDS
    after it was due to join its queue."""
    due_since = max(ticket.created_at, ticket.callback_due_at or ticket.created_at)
    return now - due_since > timedelta(seconds=settings.TICKETS_WORKER_BEHIND_SECONDS)


def _waiting_for_a_place(now: datetime) -> QuerySet[Ticket]:
    """Phone tickets due to join their queue and not in it yet, locked (those another
    transaction holds are skipped): the partial index ticket_phone_not_queued finds them.
    Whenever they were made: a web host's clock a little ahead of this one's hides none."""
    return (
        Ticket.objects.select_for_update(skip_locked=True, of=("self",))
        .only(*_QUEUEING_FIELDS)
        .filter(
            channel=Channel.PHONE,
            queued_at__isnull=True,
            status=Status.NEW,
            verification_required=False,
            callback__isnull=True,
        )
        .filter(Q(callback_due_at__isnull=True) | Q(callback_due_at__lte=now))
    )


def _callbacks_queue(
    tickets: list[Ticket], *, now: datetime, confirm_later: bool
) -> dict[int, CallbackRequest]:
    """Queue these locked, open phone tickets in this order, each with its QUEUED event and
    its place; their confirmations follow once this commits."""
    callbacks = CallbackRequest.objects.bulk_create(
        CallbackRequest(
            ticket=ticket,
            language=ticket.language,
            product_area_id=ticket.product_area_id,
            team=ticket.queue_team.value,
            enqueued_at=now,
        )
        for ticket in tickets
    )
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(
        queued_at=now,
        updated_at=now,
        status=Case(When(status=Status.NEW, then=Value(Status.QUEUED)), default=F("status")),
    )
    # Queued together, they are next to one another in each of their queues.
    places: dict[tuple[str, int | None, str], int] = {}
    events = []
    for callback in callbacks:
        queue = (callback.language, callback.product_area_id, callback.team)
        places[queue] = places[queue] + 1 if queue in places else callback_position(callback)
        events.append(
            TicketEvent(
                ticket_id=callback.ticket_id,
                kind=EventKind.QUEUED,
                data={"position": places[queue], "team": callback.team},
            )
        )
    TicketEvent.objects.bulk_create(events)
    from tickets import tasks  # noqa: PLC0415 - the tasks call these services

    # One task for them all: sent back to the broker, a message per ticket cost the worker
    # more than the confirmations themselves.
    enqueue_on_commit(
        tasks.send_ticket_confirmations, [ticket.pk for ticket in tickets], later=confirm_later
    )
    return {callback.ticket_id: callback for callback in callbacks}


def wait_quote_record(*, ticket: Ticket, estimate: WaitEstimate | None, now: datetime) -> None:
    """Keep the callback wait the customer was shown, and what it was worked out from, once
    per ticket: the first quote stays. A chat's callback form pressed again returns the
    callback the first press made, and comes here with the first's quote already kept (a
    new ticket's twin post never does: its ticket is refused first, and it returns the
    first's). Nothing is kept for a callback quoted no wait (its language opens later)."""
    inputs = estimate.inputs if estimate is not None else None
    if estimate is None or inputs is None or not math.isfinite(estimate.high_seconds):
        return
    # One statement, so its own transaction; a quote already kept is left alone by the
    # database rather than failing the submission that returns its ticket.
    WaitQuote.objects.bulk_create(
        [
            WaitQuote(
                ticket=ticket,
                language=ticket.language,
                product_area_id=ticket.product_area_id,
                team=ticket.queue_team.value,
                quoted_at=now,
                expected_seconds=estimate.expected_seconds,
                low_seconds=estimate.low_seconds,
                high_seconds=estimate.high_seconds,
                agents=inputs.agents,
                arrivals_per_hour=inputs.arrivals_per_hour,
                handle_seconds=inputs.handle_seconds,
                position=inputs.position,
            )
        ],
        ignore_conflicts=True,
    )


def callback_take_next(
    *,
    agent: User,
    languages: list[str],
    area_ids: list[int] | None,
    teams: list[str],
    now: datetime | None = None,
) -> CallbackRequest | None:
    """Give the agent the oldest waiting callback that matches their skills.

    Two agents pressing at once get two different callbacks: rows another transaction has
    locked are skipped, not waited for.
    """
    now = now or timezone.now()
    with transaction.atomic():
        waiting = CallbackRequest.objects.filter(
            taken_at__isnull=True,
            language__in=languages,
            team__in=teams,
            ticket__verification_required=False,
        )
        if area_ids is not None:
            waiting = waiting.filter(Q(product_area_id__in=area_ids) | Q(product_area__isnull=True))
        callback = (
            waiting.select_for_update(skip_locked=True, of=("self",))
            .order_by("enqueued_at", "pk")
            .first()
        )
        if callback is None:
            return None
        callback.taken_at = now
        callback.taken_by = agent
        callback.save(update_fields=["taken_at", "taken_by"])
        # The real wait beside the quoted one: from joining the queue to this moment.
        WaitQuote.objects.filter(ticket_id=callback.ticket_id, taken_at__isnull=True).update(
            taken_at=now, actual_seconds=(now - callback.enqueued_at).total_seconds()
        )
        ticket = Ticket.objects.select_for_update().get(pk=callback.ticket_id)
        ticket.assigned_to = agent
        ticket.status = Status.IN_PROGRESS
        update = ["assigned_to", "status", "updated_at"]
        _first_response_record(ticket, update, now)
        ticket.save(update_fields=update)
        _record(ticket, EventKind.CALLED_BACK, actor=agent, agent=agent.get_full_name())
        _record(
            ticket,
            EventKind.STATUS_CHANGED,
            actor=agent,
            old=Status.QUEUED,
            new=Status.IN_PROGRESS,
        )
        # After commit, holding no row lock: another agent's take may be recording too.
        transaction.on_commit(lambda: _record_queue_moves(callback), robust=True)
    return callback


def _record_queue_moves(left: CallbackRequest, limit: int = 100) -> None:
    """Everyone behind a callback that left the queue moves up a place: note it on their
    timelines (the first ``limit`` of them). ``left`` may already be deleted."""
    same_queue = CallbackRequest.objects.filter(
        language=left.language,
        product_area_id=left.product_area_id,
        team=left.team,
        taken_at__isnull=True,
    )
    left_at = Tuple(F("enqueued_at"), F("pk"))
    left_place = (left.enqueued_at, left.pk)
    ahead = same_queue.filter(TupleLessThan(left_at, left_place)).count()
    behind = same_queue.filter(TupleGreaterThan(left_at, left_place)).order_by("enqueued_at", "pk")
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=waiting.ticket_id, kind=EventKind.POSITION_CHANGED, data={"position": place}
        )
        for place, waiting in enumerate(behind[:limit], start=ahead + 1)
    )


def _callback_withdraw(ticket: Ticket) -> None:
    """A ticket solved or closed before its callback: it leaves the queue, nobody calls."""
    callback = CallbackRequest.objects.filter(ticket=ticket, taken_at__isnull=True).first()
    if callback is None:
        return
    callback_pk = callback.pk
    callback.delete()
    callback.pk = callback_pk  # delete() forgets it; the queue moves are counted from it
    _record(ticket, EventKind.STATUS_CHANGED, callback="withdrawn")
    transaction.on_commit(lambda: _record_queue_moves(callback), robust=True)


class CallbackTaken(ValidationError):
    """The callback is no longer waiting (an agent took it, or the request is closed)."""


def callback_details_change(
    *,
    ticket: Ticket,
    by: User,
    phone_number: str,
    phone_extension: str,
    language: str,
    callback_due_at: datetime | None,
) -> Ticket:
    """The customer corrects the number or the language of a callback that still waits.

    Refused (CallbackTaken) once an agent has taken it. A new language that can be called
    now moves a queued callback to that language's queue, keeping its place in time (every
    queue is ordered by ``enqueued_at``); a language closed now takes it out of the queue
    until ``callback_due_at``, when the sweep queues it again.
    """
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        callback = CallbackRequest.objects.select_for_update().filter(ticket=locked).first()
        if (
            locked.channel != Channel.PHONE
            or not locked.is_open
            or (callback is not None and not callback.is_waiting)
        ):
            raise CallbackTaken(
                _(
                    "An agent has already taken this callback, so it can no longer be "
                    "changed. To tell us something, reply to the confirmation email."
                ),
                code="taken",
            )
        changed = []
        if (locked.phone_number, locked.phone_extension) != (phone_number, phone_extension):
            locked.phone_number, locked.phone_extension = phone_number, phone_extension
            changed.append("phone_number")
        if locked.language != language:
            locked.language = language
            locked.callback_due_at = callback_due_at
            changed.append("language")
            if callback is not None:
                # Where it was: those behind it in the old queue move up a place.
                left = CallbackRequest(
                    pk=callback.pk,
                    language=callback.language,
                    product_area_id=callback.product_area_id,
                    team=callback.team,
                    enqueued_at=callback.enqueued_at,
                )
                if callback_due_at is None:
                    callback.language = language
                    callback.save(update_fields=["language"])
                else:
                    callback.delete()
                    locked.queued_at = None
                transaction.on_commit(lambda: _record_queue_moves(left), robust=True)
        if not changed:
            return locked
        locked.save(
            update_fields=[
                "phone_number",
                "phone_extension",
                "language",
                "callback_due_at",
                "queued_at",
                "updated_at",
            ]
        )
        _record(
            locked,
            EventKind.STATUS_CHANGED,
            actor=by,
            message=_("The customer changed the callback's details."),
            callback="changed",
            changed=changed,
        )
    return locked


# --- Work for later, swept by beat ---------------------------------------------------------


def outbox_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Do what never reached the broker, and what has come due.

    - phone tickets not yet queued whose callback is due (broker down at submit, or a
      callback scheduled for its language's opening);
    - confirmations never sent;
    - Enterprise handovers that are due (R-ENT-HOURS).

    Ticket by ticket (tickets.sweeping): one that fails is counted and tried later, parked
    after SWEEP_MAX_FAILURES, and never stops the others.
    """
    now = now or timezone.now()
    settled = now - timedelta(seconds=settings.TICKETS_SWEEP_GRACE)
    tickets = sweep_due(Ticket.objects.all(), now=now)
    due_callbacks = tickets.filter(
        channel=Channel.PHONE,
        queued_at__isnull=True,
        # QUEUED and never queued: a chat an agent had, switched to a later callback.
        status__in=[Status.NEW, Status.QUEUED],
        verification_required=False,
    ).filter(Q(callback_due_at__isnull=True, created_at__lte=settled) | Q(callback_due_at__lte=now))
    queued, failed_queue = sweep_each(
        Ticket,
        due_callbacks.values_list("pk", flat=True)[:500],
        lambda ticket_id: callback_enqueue(ticket_id=ticket_id, now=now),
        now=now,
        what="queue callback",
    )

    unconfirmed = (
        tickets.filter(confirmation_sent_at__isnull=True, created_at__lte=settled)
        .filter(Q(verification_required=False) | Q(verified_at__isnull=False))
        .exclude(channel=Channel.CHAT)
        .exclude(channel=Channel.PHONE, queued_at__isnull=True, callback_due_at__isnull=True)
    )
    confirmed, failed_confirm = sweep_each(
        Ticket,
        unconfirmed.values_list("pk", flat=True)[:500],
        lambda ticket_id: ticket_confirmation_send(ticket_id=ticket_id),
        now=now,
        what="confirmation",
    )

    handed_over, failed_handover = sweep_each(
        Ticket,
        tickets.filter(handover_due_at__lte=now, handed_over_at__isnull=True).values_list(
            "pk", flat=True
        )[:500],
        lambda ticket_id: ticket_hand_over(ticket_id=ticket_id, now=now),
        now=now,
        what="handover",
    )
    return {
        "queued": queued,
        "confirmed": confirmed,
        "handed_over": handed_over,
        "failed": failed_queue + failed_confirm + failed_handover,
    }


def ticket_hand_over(*, ticket_id: int, now: datetime) -> bool:
    """General support covered for Enterprise out of hours; hand the ticket to Enterprise."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.handed_over_at is not None:
            return False
        ticket.handed_over_at = now
        ticket.team = Team.ENTERPRISE
        ticket.save(update_fields=["handed_over_at", "team", "updated_at"])
        callback = CallbackRequest.objects.filter(ticket=ticket, taken_at__isnull=True).first()
        if callback is not None:
            # Keeps its place in time: the Enterprise queue is ordered by enqueued_at too.
            callback.team = Team.ENTERPRISE.queue_team.value
            callback.save(update_fields=["team"])
        _record(ticket, EventKind.HANDOVER, team=Team.ENTERPRISE)
    return True


# --- Attachments -------------------------------------------------

# Extension → the one content type a file with it may have. The type is decided by the
# extension *and* the bytes agreeing, never by what the browser said.
ATTACHMENT_TYPES: dict[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
}
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
_TEXT_TYPES = frozenset({"text/plain", "text/csv", "application/json"})


class AttachmentRejected(ValidationError):
    """A file that is too big, of a type we do not take, or not what its name says."""


def _attachment_text(upload: File[bytes]) -> str | None:
    """The file as UTF-8 text, or None when it is binary or not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    parts = []
    upload.seek(0)
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return None
            parts.append(decoder.decode(chunk))
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return None
    finally:
        upload.seek(0)
    return "".join(parts)


def attachment_content_type(*, name: str, upload: File[bytes]) -> str:
    """The content type of an upload we accept; AttachmentRejected otherwise."""
    size = upload.size or 0
    if size == 0:
        raise AttachmentRejected(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if size > ATTACHMENT_MAX_BYTES:
        raise AttachmentRejected(
            _("“%(name)s” is larger than %(limit)s.")
            % {"name": name, "limit": filesizeformat(ATTACHMENT_MAX_BYTES)},
            code="too_big",
        )
    extension = PurePath(name).suffix.lower().lstrip(".")
    content_type = ATTACHMENT_TYPES.get(extension)
    if content_type is None:
        raise AttachmentRejected(
            _(
                "“%(name)s” is not a file type we accept: send PNG, JPEG, GIF, PDF, TXT, "
                "CSV, LOG or JSON."
            )
            % {"name": name},
            code="type",
        )
    mismatch = AttachmentRejected(
        _("“%(name)s” does not contain what its name says (%(extension)s).")
        % {"name": name, "extension": extension.upper()},
        code="content",
    )
    if content_type in _TEXT_TYPES:
        text = _attachment_text(upload)
        if text is None:
            raise mismatch
        if content_type == "application/json":
            try:
                json.loads(text)
            except ValueError:
                raise mismatch from None
        return content_type
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC[content_type]):
        raise mismatch
    return content_type


def attachments_add(
    *,
    ticket: Ticket,
    files: Sequence[UploadedFile[bytes]],
    saved: list[str] | None = None,
) -> list[Attachment]:
    """Store files on a ticket: at most ATTACHMENT_MAX_FILES, each checked again here.

    ``saved`` collects the storage names written, so that a caller whose transaction rolls
    back can remove them (a file on disk is not part of the transaction).
    """
    saved = saved if saved is not None else []
    with transaction.atomic():
        already = Attachment.objects.filter(ticket=ticket).count()
        if already + len(files) > ATTACHMENT_MAX_FILES:
            raise AttachmentRejected(
                _("You can send at most %(count)d files.") % {"count": ATTACHMENT_MAX_FILES},
                code="too_many",
            )
        checked = [
            (upload, attachment_content_type(name=upload.name or "", upload=upload))
            for upload in files
        ]
        attachments = []
        for upload, content_type in checked:
            # Control characters have no place in a file name (nor in a download header).
            name = re.sub(r"[\x00-\x1f\x7f]", "", upload.name or "") or "attachment"
            attachment = Attachment(
                ticket=ticket,
                original_name=name[-255:],
                content_type=content_type,
                size=upload.size or 0,
            )
            attachment.file.save(upload.name or "attachment", upload, save=False)
            saved.append(attachment.file.name or "")
            attachment.save()
            attachments.append(attachment)
        if attachments:
            _record(
                ticket,
                EventKind.COMMENT,
                actor=ticket.requester,
                attachments=[attachment.original_name for attachment in attachments],
            )
    return attachments


def ticket_create_with_attachments(
    *, requester: User, attachments: Sequence[UploadedFile[bytes]] = (), **ticket: Any
) -> Ticket:
    """``ticket_create`` and its files in one transaction: both are saved, or neither.

    A retried submission (same idempotency key) returns the first ticket and adds nothing.
    """
    replay = ticket_replayed(requester, ticket.get("idempotency_key"))
    if replay is not None:
        return replay
    # Refuse bad files before anything is written.
    for upload in attachments:
        attachment_content_type(name=upload.name or "", upload=upload)
    saved: list[str] = []
    try:
        with transaction.atomic():
            created = ticket_create(requester=requester, **ticket)
            # A concurrent twin of this submission may have won the race and stored them.
            if not Attachment.objects.filter(ticket=created).exists():
                attachments_add(ticket=created, files=attachments, saved=saved)
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise
    return created


# --- Scheduled conference calls -------------------------------------------------


class SlotTaken(ValidationError):
    """The conference slot is no longer free (or never was)."""


def _slot_taken() -> SlotTaken:
    return SlotTaken(_("That time has just been taken. Choose another time."), code="slot_taken")


def conference_hosts_free(*, starts_at: datetime) -> list[Agent]:
    """Enterprise specialists on shift for the whole slot and not booked at its start."""
    ends_at = starts_at + CONFERENCE_SLOT
    booked = set(
        ConferenceBooking.objects.filter(starts_at=starts_at).values_list("host_id", flat=True)
    )
    hosts = Agent.objects.filter(is_active=True, team=SupportTeam.ENTERPRISE).prefetch_related(
        "shifts"
    )
    return [
        host
        for host in hosts.order_by("pk")
        if host.pk not in booked
        and any(
            opens <= starts_at and ends_at <= closes
            for opens, closes in open_intervals(agent_schedule(host), starts_at, ends_at)
        )
    ]


def conference_book(
    *,
    requester: User,
    product_area: ProductArea,
    language: str,
    starts_at: datetime,
    screen_sharing: bool,
    subject: str,
    description: str = "",
    idempotency_key: str | None = None,
    event_data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Book a conference-call slot with a free Enterprise specialist, and make its ticket.

    Two customers booking the last host of a slot at the same moment: both insert a booking
    for that host; the unique (host, starts_at) constraint lets one in, the other tries the
    next free host and, with none left, gets SlotTaken. Its ticket is rolled back with it.
    """
    replay = ticket_replayed(requester, idempotency_key)
    if replay is not None:
        return replay
    now = now or timezone.now()
    starts_at = starts_at.astimezone(UTC)
    if starts_at <= now:
        raise _slot_taken()
    booked = ConferenceBooking.objects.filter(starts_at=starts_at).values_list(
        "starts_at", flat=True
    )
    # The same rules that listed the slot: inside the conference hours, on the slot grid.
    if conference_slots_for(
        start=starts_at, end=starts_at + timedelta(seconds=1), booked=list(booked)
    ) != [starts_at]:
        raise _slot_taken()
    hosts = conference_hosts_free(starts_at=starts_at)
    if not hosts:
        raise _slot_taken()
    with transaction.atomic():
        ticket = ticket_create(
            requester=requester,
            channel=Channel.CONFERENCE,
            team=Team.ENTERPRISE,
            subject=subject,
            description=description,
            product_area=product_area,
            language=language,
            idempotency_key=idempotency_key,
            event_data={
                **(event_data or {}),
                "conference": {
                    "starts_at": starts_at.isoformat(),
                    "screen_sharing": screen_sharing,
                },
            },
        )
        if ConferenceBooking.objects.filter(ticket=ticket).exists():
            return ticket  # a concurrent twin of this submission booked it
        for host in hosts:
            try:
                with transaction.atomic():
                    ConferenceBooking.objects.create(
                        ticket=ticket,
                        starts_at=starts_at,
                        host=host,
                        screen_sharing=screen_sharing,
                    )
            except IntegrityError:
                continue  # someone booked this specialist at this time a moment ago
            break
        else:
            raise _slot_taken()
    return ticket


@transaction.atomic
def service_level_targets_ensure_defaults() -> int:
    """Give every licence tier and channel without a target the default one (targets an
    operator has set are kept). Returns how many were made."""
    have = set(ServiceLevelTarget.objects.values_list("licence_tier", "channel"))
    made = ServiceLevelTarget.objects.bulk_create(
        ServiceLevelTarget(
            licence_tier=tier,
            channel=channel,
            first_response_minutes=int(terms.first_response.total_seconds() // 60),
            resolution_minutes=int(terms.resolution.total_seconds() // 60),
            business_hours_only=terms.business_hours_only,
        )
        for (tier, channel), terms in DEFAULT_TARGETS.items()
        if (tier, channel) not in have
    )
    return len(made)
