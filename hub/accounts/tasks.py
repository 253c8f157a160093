"""Celery adapters for accounts: the mail of sign-in (password reset, invitations)."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction

SENT_KEY = "hub:account-email-sent:{}"


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def email_send(self, message: dict[str, Any]) -> bool:  # type: ignore[no-untyped-def]
    """Send one rendered message; a message delivered twice is sent once (its id is kept)."""
    sent_key = SENT_KEY.format(message["id"])
    if cache.get(sent_key):
        return False
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message.get("headers") or None,
    )
    email.content_subtype = message.get("content_subtype", "plain")
    for content, mimetype in message.get("alternatives", []):
        email.attach_alternative(content, mimetype)
    try:
        email.send()
    except OSError as exc:
        raise self.retry(exc=exc) from exc
    cache.set(sent_key, True, timeout=60 * 60 * 24)
    return True


def email_queue(message: EmailMessage) -> None:
    """Send a rendered message from a task once the current transaction has committed."""
    payload = {
        "id": uuid.uuid4().hex,
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
        "content_subtype": message.content_subtype,
        "alternatives": [
            [content, mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }
    transaction.on_commit(lambda: email_send.delay(payload))
