"""Celery adapters: take ids, call one service, own the retry policy. Every service they
call is idempotent, so a message delivered twice does its work once."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from tickets import queues, services
from tickets.chat import services as chat_services

# The emails themselves go through the outbox (hub.accounts.outbox), which retries them.


@shared_task
def send_ticket_confirmation(ticket_id: int) -> bool:
    return services.ticket_confirmation_send(ticket_id=ticket_id)


@shared_task
def send_ticket_confirmations(ticket_ids: list[int]) -> int:
    return services.ticket_confirmations_send(ticket_ids=ticket_ids)


@shared_task
def send_waiting_confirmations() -> int:
    return services.waiting_confirmations_send()


@shared_task
def enqueue_waiting_callbacks() -> int:
    return services.waiting_callbacks_enqueue()


@shared_task
def enqueue_callback(ticket_id: int) -> bool:
    return services.callback_enqueue(ticket_id=ticket_id) is not None


@shared_task
def sweep_ticket_outbox() -> dict[str, int]:
    return services.outbox_sweep()


@shared_task
def sweep_chats() -> dict[str, int]:
    return chat_services.chat_sweep()


@shared_task
def refresh_queue_statistics() -> int:
    return queues.queue_statistics_refresh(now=timezone.now())
