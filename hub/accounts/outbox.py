"""The outbox: every email the hub sends is a row before it is sent.

A service that changes something a person must hear about writes the email here, in its own
transaction: if the change commits, so does the email, whatever happens to the broker
afterwards. A task sends the row once the transaction commits; the sweeper sends the rows
whose task never arrived (a broker restarted without its data) or failed, backing off, and
parks a row that keeps failing so that it never holds up the others.

At least once, not exactly once: a worker killed after the mail server took a message and
before the row was marked sent sends it again on the next sweep. The Message-ID was fixed
when the row was written, so the copy is recognisably the same message.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.core.mail.message import make_msgid
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from hub.accounts.models import OutboundEmail
from hub.compiled_rows import CompiledModelQuery
from hub.follow_ups import follow_up_here

logger = logging.getLogger(__name__)

# After this many failed sends a row is parked: an operator looks at it (admin, /healthz).
MAX_ATTEMPTS = 5
# The wait before the next attempt, by the number of failures so far.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
SWEEP_BATCH = 200


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


def one_line(text: object) -> str:
    """Text fit for a mail header: control characters (CR and LF above all, which would make
    the message fail with a ValueError or inject headers) become single spaces."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", str(text)).split())


def _text(value: object) -> str:
    """Text as it can be stored and mailed: a NUL byte is neither."""
    return str(value).replace("\x00", "")


def outbound_email_queue(message: EmailMessage, *, purpose: str) -> OutboundEmail:
    """Write the email as a row of the current transaction; it is sent once that commits."""
    [email] = outbound_emails_queue([message], purpose=purpose)
    return email


def outbound_emails_queue(messages: Sequence[EmailMessage], *, purpose: str) -> list[OutboundEmail]:
    """Write the emails as rows of the current transaction, in one statement; each is sent
    once that commits."""
    emails = OutboundEmail.objects.bulk_create(_row_of(message, purpose) for message in messages)
    ids = [email.pk for email in emails]
    transaction.on_commit(lambda: _publish_each(ids))
    return emails


def _row_of(message: EmailMessage, purpose: str) -> OutboundEmail:
    headers = {
        one_line(name): one_line(value)
        for name, value in message.extra_headers.items()
        if name.lower() != "message-id"
    }
    message_id = message.extra_headers.get("Message-ID") or make_msgid(
        domain=settings.SUPPORT_REPLY_DOMAIN
    )
    body, html = _text(message.body), ""
    if message.content_subtype == "html":
        body, html = strip_tags(body), body
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            html = _text(str(content))
    return OutboundEmail(
        purpose=purpose,
        message_id=one_line(message_id),
        from_email=one_line(message.from_email or settings.DEFAULT_FROM_EMAIL),
        to=[one_line(address) for address in message.to],
        subject=one_line(str(message.subject)),
        body=body,
        html=html,
        headers=headers,
    )


def _publish_each(email_ids: list[int]) -> None:
    for email_id in email_ids:
        _publish(email_id)


def _publish(email_id: int) -> None:
    from hub.accounts import tasks  # noqa: PLC0415 - the tasks call these services

    if follow_up_here(tasks.outbound_email_send, email_id):
        return
    try:
        tasks.outbound_email_send.delay(email_id)
    except Exception:  # noqa: BLE001 - any broker failure; the sweeper sends the row
        logger.warning("broker unavailable, outgoing email %s left to the sweeper", email_id)


def _message_of(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body,
        from_email=email.from_email,
        to=list(email.to),
        headers={**email.headers, "Message-ID": email.message_id},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def outbound_email_deliver(*, email_id: int, now: datetime | None = None) -> bool:
    """Send one row, unless it is sent, parked, or being sent by another worker right now.

    A failure is counted on the row with its error and a time for the next attempt; it
    never raises, so a sweep goes on with the next row."""
    return outbound_emails_deliver(email_ids=[email_id], now=now) == 1


def outbound_emails_deliver(*, email_ids: Sequence[int], now: datetime | None = None) -> int:
    """Send these rows (those not sent, parked or being sent by another worker right now)
    over one connection to the mail server, rather than one connection each; how many went.

    Each row is locked, sent and marked in a transaction of its own, so that a worker killed
    mid-way sends at most the row in hand twice (accepted by the server, not yet marked),
    with the same Message-ID. A row that fails is counted on its own and the rest still go."""
    now = now or timezone.now()
    sent = 0
    mail = mailers.default
    try:
        for email_id in email_ids:
            with transaction.atomic():
                found = _unsent_email_query(connection.vendor).objects(email=email_id)
                if not found:
                    continue
                [email] = found
                try:
                    # Opened here, the connection stays open for the next rows (one that
                    # send_messages opened itself it would close again).
                    mail.open()
                    mail.send_messages([_message_of(email)])
                except Exception as exc:  # noqa: BLE001 - whatever the mail server or the data did
                    _failed(email, exc, now)
                    # The connection may be what failed: the next row opens a new one.
                    with contextlib.suppress(Exception):
                        mail.close()
                    continue
                email.sent_at = now
                email.save(update_fields=["sent_at"])
                sent += 1
    finally:
        with contextlib.suppress(Exception):
            mail.close()
    return sent


# A value no row's id is: where the compiled statement takes a run's id.
_EMAIL = -7_000_101


@functools.cache
def _unsent_email_query(vendor: str) -> CompiledModelQuery[OutboundEmail]:
    """The row ``outbound_emails_deliver`` locks before sending it, compiled once per
    process: building the query was a third of the worker's CPU for each email sent."""
    return CompiledModelQuery(
        OutboundEmail.objects.select_for_update(skip_locked=True)
        .filter(pk=_EMAIL, sent_at__isnull=True, parked_at__isnull=True)
        .order_by("pk")[:1],
        {"email": _EMAIL},
    )


def _failed(email: OutboundEmail, error: Exception, now: datetime) -> None:
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    if email.attempts >= MAX_ATTEMPTS:
        email.parked_at = now
        email.next_attempt_at = None
    else:
        email.next_attempt_at = now + BACKOFF[min(email.attempts, len(BACKOFF)) - 1]
    email.save(update_fields=["attempts", "last_error", "parked_at", "next_attempt_at"])
    logger.warning(
        "outgoing email %s (%s) failed, attempt %s: %s",
        email.pk,
        email.purpose,
        email.attempts,
        email.last_error,
    )


def outbound_emails_sweep(*, now: datetime | None = None) -> int:
    """Send the rows whose task never came or whose last attempt failed and is due again;
    one that fails never stops the rest. Returns how many went."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.TICKETS_SWEEP_GRACE)
    due = (
        OutboundEmail.objects.filter(
            sent_at__isnull=True, parked_at__isnull=True, created_at__lte=now - grace
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return outbound_emails_deliver(email_ids=list(due), now=now)


def outbound_email_retry(*, email: OutboundEmail) -> OutboundEmail:
    """An operator sends a parked row again, with its attempts counted from zero."""
    OutboundEmail.objects.filter(pk=email.pk, sent_at__isnull=True).update(
        parked_at=None, attempts=0, next_attempt_at=None
    )
    transaction.on_commit(lambda: _publish(email.pk))
    email.refresh_from_db()
    return email
