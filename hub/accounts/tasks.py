"""Celery adapters for accounts: the outbox of every email the hub sends."""

from __future__ import annotations

from celery import shared_task

from hub.accounts import outbox


@shared_task
def outbound_email_send(email_id: int) -> bool:
    """Send one row of the outbox (failures are counted on the row; the sweeper retries)."""
    return outbox.outbound_email_deliver(email_id=email_id)


@shared_task
def outbound_emails_sweep() -> int:
    """Send what the broker lost, and what failed and is due again."""
    return outbox.outbound_emails_sweep()
