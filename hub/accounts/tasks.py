"""Celery adapters for accounts: the outbox of every email the hub sends."""

from __future__ import annotations

from celery import shared_task

from hub.accounts import outbox
from hub.follow_ups import follow_ups_batched


@shared_task
def outbound_email_send(email_id: int) -> bool:
    """Send one row of the outbox (failures are counted on the row; the sweeper retries)."""
    return outbox.outbound_email_deliver(email_id=email_id)


@shared_task
def outbound_emails_send(email_ids: list[int]) -> int:
    """Send several rows of the outbox, a batch to a transaction and a mail connection."""
    return outbox.outbound_emails_deliver(email_ids=email_ids)


# The emails a worker's task calls for (a run of confirmations writes a hundred) are sent
# together when it ends.
follow_ups_batched(outbound_email_send, outbound_emails_send)


@shared_task
def outbound_emails_sweep() -> int:
    """Send what the broker lost, and what failed and is due again."""
    return outbox.outbound_emails_sweep()
