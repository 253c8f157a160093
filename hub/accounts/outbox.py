"""The outbox: every email the hub sends is a row before it is sent.

A service that changes something a person must hear about writes the email here, in its own
transaction: if the change commits, so does the email, whatever happens to the broker
afterwards. A task sends the row once the transaction commits; the sweeper sends the rows
whose task never arrived (a broker restarted without its data) or failed, backing off, and
parks a row that keeps failing so that it never holds up the others.

At least once, not exactly once: a worker killed after the mail server took a message and
before the transaction marking its row sent committed sends it again on the next sweep. The
Message-ID was fixed when the row was written, so the copy is recognisably the same message.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, mailers
from django.core.mail.message import make_msgid
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import OutboundEmail
from hub.compiled_rows import ColumnConverters, values_converted
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

# What each purpose is called where staff read the outbox (the admin), in their language.
# These are the emails of this layer (allauth's named by their templates); the layers above
# name theirs when they start (``outbox_purposes_name``), since this one cannot import them.
# A purpose nobody named shows as it is stored.
_purpose_names: dict[str, str | Promise] = {
    "invitation": _("Invitation to an organisation"),
    "password_reset_key": _("Password reset link"),
    "password_reset_sso": _("Password reset for an SSO account"),
    "unknown_account": _("Password reset for an unknown address"),
    "password_reset": _("Notice: password reset"),
    "password_changed": _("Notice: password changed"),
    "password_set": _("Notice: password set"),
}


def outbox_purposes_name(names: Mapping[str, str | Promise]) -> None:
    """Name the purposes a layer writes emails for, for the people who read the outbox."""
    _purpose_names.update(names)


def outbox_purpose_choices() -> list[tuple[str, str]]:
    """Every named purpose and its name in the active language, sorted by name."""
    return sorted(((code, str(name)) for code, name in _purpose_names.items()), key=lambda c: c[1])


def outbox_purpose_name(purpose: str) -> str:
    """The purpose as staff read it, in the active language."""
    name = _purpose_names.get(purpose)
    return purpose if name is None else str(name)


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

    Each row is taken, sent and marked in a transaction of its own, so that a worker killed
    mid-way sends at most the row in hand twice (accepted by the server, not yet committed),
    with the same Message-ID. A row that fails is counted on its own and the rest still go."""
    now = now or timezone.now()
    sent = 0
    mail = mailers.default
    try:
        for email_id in email_ids:
            with transaction.atomic():
                email = _email_taken(email_id, now)
                if email is None:
                    continue
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
                sent += 1
    finally:
        with contextlib.suppress(Exception):
            mail.close()
    return sent


# What sending a row and counting its failure read of it.
_TAKEN_FIELDS = (
    "id",
    "purpose",
    "message_id",
    "from_email",
    "to",
    "subject",
    "body",
    "html",
    "headers",
    "attempts",
)


def _email_taken(email_id: int, now: datetime) -> OutboundEmail | None:
    """The row, marked sent at ``now`` and locked until the transaction ends; None when it
    is sent, parked, or held by another worker (skipped, not waited for). Should sending it
    fail, ``_failed`` unmarks it; should the worker die first, the transaction never commits.
    One statement: under load each round trip to the database waits its turn for a core,
    and the worker sends a confirmation for every request."""
    sql, converters = _email_take_statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), email_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = values_converted(list(row), converters, connection)
    email = OutboundEmail.from_db(connection.alias, list(_TAKEN_FIELDS), values)
    email.sent_at = now
    return email


@functools.cache
def _email_take_statement(vendor: str) -> tuple[str, tuple[ColumnConverters, ...]]:
    """``_email_taken``'s statement and the converters of the columns it returns, as the
    ORM reads them (JSON as text, for one), written once per process."""
    compiler = OutboundEmail.objects.values_list(*_TAKEN_FIELDS).query.get_compiler(
        connection=connection
    )
    compiler.as_sql()
    selected = [column[0] for column in compiler.select]
    converters = tuple(
        (index, tuple(functions), expression)
        for index, (functions, expression) in compiler.get_converters(selected).items()
    )
    quote = connection.ops.quote_name
    table = quote(OutboundEmail._meta.db_table)
    pk, sent_at = quote("id"), quote("sent_at")
    unsent = f"{sent_at} IS NULL AND {quote('parked_at')} IS NULL"
    if connection.features.has_select_for_update_skip_locked:
        chosen = f"SELECT {pk} FROM {table} WHERE {pk} = %s AND {unsent} FOR UPDATE SKIP LOCKED"
        where = f"{pk} = ({chosen})"
    else:  # SQLite: one writer at a time, so no row is ever held by another
        where = f"{pk} = %s AND {unsent}"
    columns = ", ".join(quote(column.target.column) for column in selected)
    sql = f"UPDATE {table} SET {sent_at} = %s WHERE {where} RETURNING {columns}"
    return sql, converters


def _failed(email: OutboundEmail, error: Exception, now: datetime) -> None:
    email.sent_at = None
    email.attempts += 1
    email.last_error = f"{type(error).__name__}: {error}"[:2000]
    if email.attempts >= MAX_ATTEMPTS:
        email.parked_at = now
        email.next_attempt_at = None
    else:
        email.next_attempt_at = now + BACKOFF[min(email.attempts, len(BACKOFF)) - 1]
    email.save(update_fields=["sent_at", "attempts", "last_error", "parked_at", "next_attempt_at"])
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
