"""shared/RELIABILITY.md 7c: one bad row never blocks a sweep.

Rows are handled one by one, failures counted on the row and tried again later, and a row
that keeps failing is parked as failed where agents (admin) and operators (/healthz) see it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.accounts.models import OutboundEmail, User
from hub.accounts.outbox import outbound_email_deliver
from tickets import emails
from tickets.chat.services import chat_end, chat_start, chat_sweep, chat_transcript_request
from tickets.models import Channel, ChatTranscriptRequest, Team, Ticket
from tickets.services import (
    outbox_sweep,
    ticket_confirmation_send,
    ticket_create,
    waiting_confirmations_send,
)
from tickets.sweeping import sweep_retry

pytestmark = pytest.mark.django_db

SWEEP_INDEXES = ("ticket_phone_not_queued", "ticket_unconfirmed", "ticket_handover_due")


def email_ticket(user: User, subject: str) -> Ticket:
    # Made inside the test's transaction: the confirmation task never runs (no commit), so
    # the sweep is what sends it, as when the broker was down.
    return ticket_create(
        requester=user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject=subject
    )


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """The confirmation of "Poisoned" cannot be built (as a line-break subject once did)."""
    build = emails.confirmation_message

    def confirmation_message(ticket: Ticket, **known: Any) -> Any:
        if ticket.subject == "Poisoned":
            raise ValueError("Header values can't contain newlines")
        return build(ticket, **known)

    monkeypatch.setattr(emails, "confirmation_message", confirmation_message)


def test_a_row_that_fails_n_times_is_parked_and_the_others_are_still_sent(
    standard_user: User, poisoned: None, settings: Any, admin_client: Client
) -> None:
    settings.SWEEP_MAX_FAILURES = 3
    first = email_ticket(standard_user, "Before")
    bad = email_ticket(standard_user, "Poisoned")
    last = email_ticket(standard_user, "After")
    now = timezone.now() + timedelta(minutes=5)

    counts = outbox_sweep(now=now)

    assert (counts["confirmed"], counts["failed"]) == (2, 1)
    assert sorted(OutboundEmail.objects.values_list("subject", flat=True)) == [
        f"[{first.number}] We have your request: Before",
        f"[{last.number}] We have your request: After",
    ]
    bad.refresh_from_db()
    assert bad.sweep_failures == 1 and not bad.is_parked
    assert "Header values can't contain newlines" in bad.sweep_error
    # Backed off: the next run, a moment later, leaves it alone.
    assert outbox_sweep(now=now + timedelta(seconds=1))["failed"] == 0
    bad.refresh_from_db()
    assert bad.sweep_failures == 1

    for attempt in range(2, 4):
        now += timedelta(hours=2)  # past the longest back-off
        assert outbox_sweep(now=now)["failed"] == 1
        bad.refresh_from_db()
        assert bad.sweep_failures == attempt
    assert bad.is_parked
    # Parked: no sweep tries it again, and the others were never held up.
    assert outbox_sweep(now=now + timedelta(days=1))["failed"] == 0
    bad.refresh_from_db()
    assert bad.sweep_failures == 3
    assert Ticket.objects.filter(confirmation_sent_at__isnull=True).get() == bad

    # Operators see the count; agents find it in the admin, with its error.
    health = Client().get("/healthz").json()
    assert health["parked"] == {"tickets": 1, "chats": 0, "transcripts": 0, "emails": 0}
    listing = admin_client.get("/admin/tickets/ticket/?sweep=parked").content.decode()
    assert bad.number in listing and first.number not in listing
    assert "Parked as failed" in listing
    detail = admin_client.get(f"/admin/tickets/ticket/{bad.pk}/change/").content.decode()
    assert "contain newlines" in detail

    # Once the cause is fixed, an agent sends it back to the sweep.
    assert sweep_retry(rows=Ticket.objects.filter(pk=bad.pk)) == 1
    bad.subject = "Fixed"
    bad.save(update_fields=["subject"])
    assert outbox_sweep(now=now + timedelta(days=1))["confirmed"] == 1


def test_a_subject_with_a_line_break_is_emailed_on_one_line(standard_user: User) -> None:
    # Forms refuse it; anything else that makes a ticket (an import, the admin, an old row)
    # still cannot break the email's headers.
    ticket = email_ticket(standard_user, "Export fails\r\nBcc: everyone@example.com")
    assert ticket_confirmation_send(ticket_id=ticket.pk)
    (written,) = OutboundEmail.objects.all()
    assert outbound_email_deliver(email_id=written.pk)
    (message,) = mail.outbox
    assert message.subject == (
        f"[{ticket.number}] We have your request: Export fails Bcc: everyone@example.com"
    )
    assert "everyone@example.com" not in message.bcc
    assert "\nBcc:" not in message.message().as_string().split("\n\n", 1)[0].replace("\n ", " ")


def test_a_chat_transcript_that_cannot_be_sent_does_not_stop_the_others(
    standard_user: User, surveys_area: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = [
        chat_start(
            requester=standard_user,
            product_area=surveys_area,
            language="en",
            message=f"Chat {n}",
            team=Team.TECHNICAL,
        )
        for n in range(2)
    ]
    build = emails.transcript_message

    def transcript_message(request: ChatTranscriptRequest) -> Any:
        if request.session_id == sessions[0].pk:
            raise ValueError("cannot render")
        return build(request)

    monkeypatch.setattr(emails, "transcript_message", transcript_message)
    for session in sessions:
        chat_end(session=session, by=standard_user)
        # The customer's request is kept even when its email cannot be written yet.
        chat_transcript_request(session=session, by=standard_user, key="k" * 32)
    bad, good = ChatTranscriptRequest.objects.order_by("pk")
    counts = chat_sweep(now=timezone.now() + timedelta(minutes=1))
    assert (counts["transcripts"], counts["failed"]) == (0, 1)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert good.sent_at is not None and bad.sent_at is None
    assert bad.sweep_failures == 1 and "cannot render" in bad.sweep_error


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # The table is tiny here: without this the planner would rightly read it whole.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_the_outbox_sweep_reads_its_few_rows_by_partial_indexes_not_the_whole_table(
    standard_user: User,
) -> None:
    """The sweep runs every half minute: each of its reads of the tickets goes through an
    index holding only the rows it may want, so its cost does not grow with the table."""
    email_ticket(standard_user, "Never confirmed")
    with CaptureQueriesContext(connection) as captured:
        outbox_sweep(now=timezone.now() + timedelta(minutes=5))
    reads = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and 'FROM "tickets_ticket" WHERE' in query["sql"]
    ]
    assert len(reads) >= 3
    used = []
    for sql in reads:
        plan = _plan(sql)
        used += [name for name in SWEEP_INDEXES if name in plan]
        assert any(name in plan for name in SWEEP_INDEXES), plan
    assert set(used) == set(SWEEP_INDEXES)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_the_confirmation_worker_reads_by_the_sweeps_index_of_unconfirmed_requests(
    standard_user: User,
) -> None:
    """One index of unconfirmed requests serves the worker and the sweep alike: every
    submission writes one entry, not one per reader."""
    email_ticket(standard_user, "Waiting for its confirmation")
    with CaptureQueriesContext(connection) as captured:
        assert waiting_confirmations_send() == 1
    reads = [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "tickets_ticket"' in query["sql"] and "SKIP LOCKED" in query["sql"]
    ]
    assert reads
    for sql in reads:
        assert "ticket_unconfirmed" in _plan(sql), sql
