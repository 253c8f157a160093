"""Every email is a row first: sent once the change commits, swept when the broker lost
it, retried with a pause when it fails, and parked when it keeps failing, never holding up
the others (RELIABILITY: nothing lost, one bad row never stops the queue)."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.accounts import outbox
from hub.accounts.models import OutboundEmail, User

pytestmark = pytest.mark.django_db


def _write(subject: str) -> OutboundEmail:
    return outbox.outbound_email_queue(
        EmailMessage(subject=subject, body="Hello", to=["someone@example.com"]), purpose="test"
    )


@pytest.fixture
def refusing_mail_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mail server that refuses every message whose subject starts with "Refused"."""
    send_messages = locmem.EmailBackend.send_messages

    def refuse(self: locmem.EmailBackend, messages: list[EmailMessage]) -> int:
        if any(str(message.subject).startswith("Refused") for message in messages):
            raise ConnectionRefusedError("the mail server said no")
        return send_messages(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)


def test_an_email_is_sent_once_its_change_commits_and_marked_sent(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email = _write("Your request")
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert email.sent_at is not None
    # Asked again (a task delivered twice, the sweeper): nothing more goes out.
    assert not outbox.outbound_email_deliver(email_id=email.pk)
    assert outbox.outbound_emails_sweep(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 1


def test_the_sweeper_sends_what_the_broker_never_got() -> None:
    email = _write("Never published")  # the transaction's on_commit never ran
    now = timezone.now()
    assert outbox.outbound_emails_sweep(now=now) == 0  # too young: its task may still come
    assert outbox.outbound_emails_sweep(now=now + timedelta(minutes=1)) == 1
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [email.message_id]


def test_a_failing_email_is_retried_later_then_parked_and_never_holds_up_the_others(
    refusing_mail_server: None,
) -> None:
    bad = _write("Refused every time")
    good = [_write(f"Fine {n}") for n in range(3)]
    now = timezone.now() + timedelta(minutes=1)
    assert outbox.outbound_emails_sweep(now=now) == 3
    assert sorted(m.subject for m in mail.outbox) == ["Fine 0", "Fine 1", "Fine 2"]
    bad.refresh_from_db()
    assert bad.attempts == 1 and bad.next_attempt_at is not None
    assert "the mail server said no" in bad.last_error
    # Not again before its pause is over.
    assert outbox.outbound_emails_sweep(now=now + timedelta(seconds=30)) == 0
    bad.refresh_from_db()
    assert bad.attempts == 1
    for hour in range(1, 10):
        outbox.outbound_emails_sweep(now=now + timedelta(hours=2 * hour))
    bad.refresh_from_db()
    assert bad.attempts == outbox.MAX_ATTEMPTS
    assert bad.parked_at is not None and bad.sent_at is None
    later = _write("After the parked one")
    assert outbox.outbound_emails_sweep(now=now + timedelta(days=1)) == 1
    assert mail.outbox[-1].subject == later.subject
    for email in good:
        email.refresh_from_db()
        assert email.sent_at is not None


def test_an_operator_sends_a_parked_email_again(
    refusing_mail_server: None, django_capture_on_commit_callbacks: Any
) -> None:
    email = _write("Fine after all")
    OutboundEmail.objects.filter(pk=email.pk).update(
        attempts=outbox.MAX_ATTEMPTS, parked_at=timezone.now(), last_error="timeout"
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbound_email_retry(email=email)
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 0


def test_a_line_break_or_a_nul_never_reaches_a_header() -> None:
    email = outbox.outbound_email_queue(
        EmailMessage(
            subject="Hello\r\nBcc: everyone@example.com",
            body="Body\x00",
            to=["someone@example.com"],
        ),
        purpose="test",
    )
    assert email.subject == "Hello Bcc: everyone@example.com"
    assert email.body == "Body"
    assert outbox.outbound_email_deliver(email_id=email.pk)
    assert mail.outbox[0].subject == "Hello Bcc: everyone@example.com"
    assert mail.outbox[0].bcc == []


def test_a_password_reset_is_a_row_before_it_is_sent(client: Client, standard_user: User) -> None:
    response = client.post("/accounts/password/reset/", {"email": standard_user.email})
    assert response.status_code == 302
    email = OutboundEmail.objects.get(purpose="password_reset_key")
    assert email.to == [standard_user.email]
    # Kept, whatever becomes of the task that was to send it.
    assert outbox.outbound_emails_sweep(now=timezone.now() + timedelta(minutes=1)) == 1
    assert mail.outbox[0].to == [standard_user.email]


def test_operators_see_the_parked_emails_with_their_error_and_send_them_again(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    parked = _write("Stuck")
    OutboundEmail.objects.filter(pk=parked.pk).update(
        attempts=outbox.MAX_ATTEMPTS, parked_at=timezone.now(), last_error="SMTP timeout"
    )
    _write("Still to go")
    listing = admin_client.get("/admin/hub/outboundemail/", {"state": "parked"}).content.decode()
    assert "Stuck" in listing and "Still to go" not in listing
    # Each row says in one column whether it went, still waits or was given up, and when.
    every_row = admin_client.get("/admin/hub/outboundemail/").content.decode()
    assert f"after {outbox.MAX_ATTEMPTS} attempts</td>" in every_row
    assert "Waiting since " in every_row
    assert (
        "SMTP timeout"
        in admin_client.get(f"/admin/hub/outboundemail/{parked.pk}/change/").content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/hub/outboundemail/",
            {"action": "send_again", "_selected_action": [parked.pk]},
        )
    parked.refresh_from_db()
    assert parked.sent_at is not None
    sent = admin_client.get("/admin/hub/outboundemail/", {"state": "sent"}).content.decode()
    assert "Stuck" in sent and "Sent " in sent


def test_operators_read_each_emails_purpose_by_name_in_their_language_and_filter_by_it(
    admin_client: Client, admin_user: User, client: Client, standard_user: User
) -> None:
    # A password reset (this layer's), a request's confirmation (the tickets app's, named
    # when it starts) and a purpose nobody named.
    client.post("/accounts/password/reset/", {"email": standard_user.email})
    outbox.outbound_email_queue(
        EmailMessage(subject="Your request CS-000123", body="Hello", to=[standard_user.email]),
        purpose="confirmation",
    )
    _write("Unnamed")

    def cells(**query: str) -> list[str]:
        html = admin_client.get("/admin/hub/outboundemail/", query).content.decode()
        return re.findall(r'<td class="field-purpose_name">(.*?)</td>', html)

    assert sorted(cells()) == ["Confirmation of a request", "Password reset link", "test"]
    assert cells(purpose="confirmation") == ["Confirmation of a request"]
    listing = admin_client.get("/admin/hub/outboundemail/").content.decode()
    assert 'href="?purpose=password_reset_key"' in listing
    # Offered before any email of its kind was written: the filter reads no table.
    assert 'href="?purpose=transcript"' in listing
    confirmation = OutboundEmail.objects.get(purpose="confirmation")
    page = admin_client.get(f"/admin/hub/outboundemail/{confirmation.pk}/change/")
    assert "Confirmation of a request" in page.content.decode()

    admin_user.preferred_language = "de"
    admin_user.save(update_fields=["preferred_language"])
    assert sorted(cells()) == [
        "Bestätigung einer Anfrage",
        "Link zum Zurücksetzen des Passworts",
        "test",
    ]


def test_a_run_of_emails_shares_one_mail_connection_and_each_row_is_marked_once(
    refusing_mail_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[int] = []
    open_connection = locmem.EmailBackend.open

    def counted_open(self: locmem.EmailBackend) -> Any:
        opened.append(id(self))
        return open_connection(self)

    monkeypatch.setattr(locmem.EmailBackend, "open", counted_open)
    rows = [_write(f"Fine {n}") for n in range(8)]
    rows.insert(3, _write("Refused in the middle"))
    assert outbox.outbound_emails_deliver(email_ids=[row.pk for row in rows]) == len(rows) - 1
    # One connection to the mail server for them all (the same backend, opened again only
    # where it may have failed), and the rows after the refused one went out as well.
    assert len(set(opened)) == 1
    assert sorted(m.subject for m in mail.outbox) == sorted(
        row.subject for row in rows if not row.subject.startswith("Refused")
    )
    refused = OutboundEmail.objects.get(subject="Refused in the middle")
    assert refused.sent_at is None and refused.attempts == 1
    # Delivered twice (a task and the sweeper together): nothing goes out again.
    assert outbox.outbound_emails_deliver(email_ids=[row.pk for row in rows]) == 0
    assert len(mail.outbox) == len(rows) - 1


def test_each_row_is_taken_and_marked_sent_by_one_statement() -> None:
    rows = [_write(f"Fine {n}") for n in range(5)]
    with CaptureQueriesContext(connection) as captured:
        assert outbox.outbound_emails_deliver(email_ids=[row.pk for row in rows]) == 5
    statements = [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    # Under load every round trip to the database waits its turn for a core, and the worker
    # sends an email for every request: one statement reads each row and marks it.
    assert len(statements) == len(rows), "\n".join(statements)
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 0


def test_a_worker_stopped_while_sending_leaves_its_row_to_the_sweeper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    email = _write("Your request")

    def stopped(self: locmem.EmailBackend, messages: list[EmailMessage]) -> int:
        raise SystemExit("the worker was told to stop")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", stopped)
    with pytest.raises(SystemExit):
        outbox.outbound_email_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.sent_at is None and email.attempts == 0
    monkeypatch.undo()
    assert outbox.outbound_emails_sweep(now=timezone.now() + timedelta(minutes=1)) == 1
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [email.message_id]


@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_is_sending_is_skipped_not_waited_for() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    held, free = _write("Held by another worker"), _write("Free")
    # Committed at once here, they went out already: as if their tasks were still to come.
    OutboundEmail.objects.update(sent_at=None)
    mail.outbox.clear()
    taken, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                OutboundEmail.objects.select_for_update().get(pk=held.pk)
                taken.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert taken.wait(timeout=30)
        started = time.monotonic()
        assert outbox.outbound_emails_deliver(email_ids=[held.pk, free.pk]) == 1
        assert time.monotonic() - started < 5
    finally:
        release.set()
        thread.join()
    assert [m.subject for m in mail.outbox] == ["Free"]
    held.refresh_from_db()
    assert held.sent_at is None and held.attempts == 0
