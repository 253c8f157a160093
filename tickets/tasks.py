"""Celery adapters: take ids, load rows, call one service. Every task is idempotent."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from tickets import emails, services
from tickets.models import EventKind, Ticket, TicketEvent


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_ticket_confirmation(self: Any, ticket_id: int) -> bool:
    """Send the confirmation once, however often the message is delivered."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("requester", "product_area")
            .filter(pk=ticket_id, confirmation_sent_at__isnull=True)
            .first()
        )
        if ticket is None:
            return False
        try:
            emails.confirmation_message(ticket).send()
        except OSError as exc:
            raise self.retry(exc=exc) from exc
        ticket.confirmation_sent_at = timezone.now()
        ticket.save(update_fields=["confirmation_sent_at"])
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.EMAIL_SENT, data={"email": "confirmation"}
        )
    return True


@shared_task
def enqueue_callback(ticket_id: int) -> bool:
    return services.callback_enqueue(ticket_id=ticket_id) is not None


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_agent_reply(self: Any, event_id: int) -> bool:
    """Email an agent's reply to the customer, once."""
    with transaction.atomic():
        event = (
            TicketEvent.objects.select_for_update(of=("self",))
            .select_related("ticket__requester", "actor")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.data.get("emailed_at"):
            return False
        try:
            emails.reply_message(event).send()
        except OSError as exc:
            raise self.retry(exc=exc) from exc
        event.data = {**event.data, "emailed_at": timezone.now().isoformat()}
        event.save(update_fields=["data"])
    return True


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def notify_status_change(self: Any, ticket_id: int, status: str) -> bool:
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
        try:
            emails.status_message(event.ticket, status).send()
        except OSError as exc:
            raise self.retry(exc=exc) from exc
        event.data = {**event.data, "emailed_at": timezone.now().isoformat()}
        event.save(update_fields=["data"])
    return True


@shared_task
def sweep_ticket_outbox() -> dict[str, int]:
    return services.outbox_sweep()


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_verification_link(self: Any, link_id: int) -> bool:
    """Email the Verify & Confirm link once, in the thread of the TSM's conversation."""
    from tickets.models import VerificationLink

    with transaction.atomic():
        link = (
            VerificationLink.objects.select_for_update(of=("self",))
            .select_related("ticket__requester", "created_by")
            .filter(pk=link_id, used_at__isnull=True)
            .first()
        )
        if link is None:
            return False
        ticket = link.ticket
        if ticket.events.filter(kind=EventKind.EMAIL_SENT, data__link=link.pk).exists():
            return False
        try:
            emails.verification_message(link).send()
        except OSError as exc:
            raise self.retry(exc=exc) from exc
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.EMAIL_SENT, data={"email": "verify", "link": link.pk}
        )
    return True


# --- Live chat (issue 9) -------------------------------------------------------------------


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_chat_transcript(self: Any, request_id: int) -> bool:
    """Email a chat's transcript once per request, however often the message is delivered."""
    from tickets.models import ChatTranscriptRequest

    with transaction.atomic():
        request = (
            ChatTranscriptRequest.objects.select_for_update(of=("self",))
            .select_related("session__ticket__requester")
            .filter(pk=request_id, sent_at__isnull=True)
            .first()
        )
        if request is None:
            return False
        try:
            emails.transcript_message(request).send()
        except OSError as exc:
            raise self.retry(exc=exc) from exc
        request.sent_at = timezone.now()
        request.save(update_fields=["sent_at"])
        TicketEvent.objects.create(
            ticket=request.session.ticket,
            kind=EventKind.EMAIL_SENT,
            data={"email": "transcript", "request": request.pk},
        )
    return True


@shared_task
def sweep_chats() -> dict[str, int]:
    from tickets.chat.services import chat_sweep

    return chat_sweep()
