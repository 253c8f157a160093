"""Celery adapters: take ids, call one service, own the retry policy. Every service they
call is idempotent, so a message delivered twice does its work once."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tickets import services, verification
from tickets.chat import services as chat_services

# A mail server that refuses or times out (OSError) is tried again, ten seconds apart, five
# times.


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_ticket_confirmation(self: Any, ticket_id: int) -> bool:
    try:
        return services.ticket_confirmation_send(ticket_id=ticket_id)
    except OSError as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def enqueue_callback(ticket_id: int) -> bool:
    return services.callback_enqueue(ticket_id=ticket_id) is not None


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_agent_reply(self: Any, event_id: int) -> bool:
    try:
        return services.ticket_reply_email_send(event_id=event_id)
    except OSError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def notify_status_change(self: Any, ticket_id: int, status: str) -> bool:
    try:
        return services.ticket_status_email_send(ticket_id=ticket_id, status=status)
    except OSError as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def sweep_ticket_outbox() -> dict[str, int]:
    return services.outbox_sweep()


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_verification_link(self: Any, link_id: int) -> bool:
    try:
        return verification.verification_link_send(link_id=link_id)
    except OSError as exc:
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def send_chat_transcript(self: Any, request_id: int) -> bool:
    try:
        return chat_services.chat_transcript_send(request_id=request_id)
    except OSError as exc:
        raise self.retry(exc=exc) from exc


@shared_task
def sweep_chats() -> dict[str, int]:
    return chat_services.chat_sweep()
