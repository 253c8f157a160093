"""Reads about tickets, shaped for the pages, emails and the admin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from hub.models import User
from tickets.models import CallbackRequest, Channel, Ticket


@dataclass(frozen=True)
class QueueStatus:
    """Where a callback stands: its place, the expected wait, or when it will join the queue."""

    position: int | None
    waiting_since: datetime | None
    expected_wait: timedelta | None
    wait_low: timedelta | None
    wait_high: timedelta | None
    joins_queue_at: datetime | None


def queue_status(ticket: Ticket, *, now: datetime | None = None) -> QueueStatus | None:
    """None for tickets that are not waiting for a callback."""
    if ticket.channel != Channel.PHONE or not ticket.is_open:
        return None
    now = now or timezone.now()
    callback = CallbackRequest.objects.filter(ticket=ticket).first()
    if callback is None:
        due = (
            ticket.callback_due_at
            if ticket.callback_due_at and ticket.callback_due_at > now
            else None
        )
        return QueueStatus(None, None, None, None, None, due)
    if not callback.is_waiting:
        return None
    from tickets.services import callback_position

    position = callback_position(callback)
    estimate = _wait_estimate(callback, position=position, now=now)
    return QueueStatus(
        position=position,
        waiting_since=callback.enqueued_at,
        expected_wait=estimate[0] if estimate else None,
        wait_low=estimate[1] if estimate else None,
        wait_high=estimate[2] if estimate else None,
        joins_queue_at=None,
    )


def _wait_estimate(
    callback: CallbackRequest, *, position: int, now: datetime
) -> tuple[timedelta, timedelta, timedelta] | None:
    from routing.selectors import callback_wait_estimate

    return callback_wait_estimate(
        language=callback.language,
        area_id=callback.product_area_id,
        team=callback.team,
        position=position,
        now=now,
    )


@dataclass(frozen=True)
class QueueLine:
    language: str
    area: str
    team: str
    waiting: int
    oldest: datetime


def callback_queue_summary() -> list[QueueLine]:
    """Waiting callbacks per queue, for the agents' changelist (one query)."""
    from django.db.models import Count, Min

    rows = (
        CallbackRequest.objects.filter(taken_at__isnull=True)
        .values("language", "product_area__name", "team")
        .annotate(waiting=Count("pk"), oldest=Min("enqueued_at"))
        .order_by("oldest")
    )
    return [
        QueueLine(
            language=row["language"],
            area=row["product_area__name"] or "",
            team=row["team"],
            waiting=row["waiting"],
            oldest=row["oldest"],
        )
        for row in rows
    ]


def callback_screen_context(ticket: Ticket) -> dict[str, object]:
    """Everything an agent needs at once when they take a callback (R-ADMIN)."""
    from hub.models import EnterpriseSeat

    ticket = (
        Ticket.objects.select_related("requester", "organisation", "product_area", "assigned_to")
        .prefetch_related("events__actor")
        .get(pk=ticket.pk)
    )
    seat = EnterpriseSeat.objects.filter(user_id=ticket.requester_id).first()
    return {
        "ticket": ticket,
        "organisation": ticket.organisation,
        "seat": seat,
        "events": list(ticket.events.all()),
        "conversation": _assistant_conversation(ticket),
    }


def _assistant_conversation(ticket: Ticket) -> list[dict[str, str]]:
    """The assistant conversation the customer had before asking for help, if any."""
    created = next((event for event in ticket.events.all() if event.kind == "created"), None)
    if created is None:
        return []
    turns = created.data.get("assistant_conversation") or []
    return [turn for turn in turns if isinstance(turn, dict)]


def ticket_of_requester(user: User, number: str) -> Ticket:
    """The ticket, if this user asked for it; 404 for anyone else, staff included."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Ticket.objects.select_related("product_area", "conference").prefetch_related(
            "product_area__translations"
        ),
        number=number,
        requester_id=user.pk,
    )


def ticket_created_data(ticket: Ticket) -> Mapping[str, object]:
    """What the form recorded on the ticket's first event (e.g. when it will be answered)."""
    from tickets.models import EventKind

    event = ticket.events.filter(kind=EventKind.CREATED).only("data").first()
    return event.data if event is not None and isinstance(event.data, dict) else {}
