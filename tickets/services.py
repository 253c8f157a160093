"""Writes on tickets: every form, task and admin action that changes a ticket calls these."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hub.models import User
from routing.models import ProductArea
from tickets.models import Channel, EventKind, Team, Ticket, TicketEvent
from tickets.numbering import next_ticket_number


def ticket_create(
    *,
    requester: User,
    channel: Channel | str,
    team: Team | str,
    subject: str,
    description: str = "",
    product_area: ProductArea | None = None,
    language: str | None = None,
    event_data: dict[str, Any] | None = None,
) -> Ticket:
    """Make a ticket with its first timeline event; the confirmation email goes after commit."""
    membership = getattr(requester, "membership", None)
    if membership is None:
        raise ValidationError(_("Only members of an organisation can open a ticket."))
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": _("Enter a subject.")})

    with transaction.atomic():
        ticket = Ticket(
            number=next_ticket_number(),
            requester=requester,
            organisation_id=membership.organisation_id,
            team=team,
            product_area=product_area,
            channel=channel,
            language=language or requester.preferred_language,
            subject=subject,
            description=description.strip(),
        )
        ticket.full_clean(exclude=["number"])
        ticket.save()
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.CREATED, actor=requester, data=event_data or {}
        )
        from tickets.tasks import send_ticket_confirmation

        ticket_id = ticket.pk
        transaction.on_commit(lambda: send_ticket_confirmation.delay(ticket_id))
    return ticket
