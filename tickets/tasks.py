"""Celery adapters: take ids, load rows, call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from tickets.emails import confirmation_message
from tickets.models import EventKind, Ticket, TicketEvent


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_ticket_confirmation(self, ticket_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Send the confirmation once, however often the message is delivered."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update()
            .select_related("requester")
            .filter(pk=ticket_id, confirmation_sent_at__isnull=True)
            .first()
        )
        if ticket is None:
            return False
        try:
            confirmation_message(ticket).send()
        except OSError as exc:
            raise self.retry(exc=exc) from exc
        ticket.confirmation_sent_at = timezone.now()
        ticket.save(update_fields=["confirmation_sent_at"])
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.EMAIL_SENT, data={"email": "confirmation"}
        )
    return True
