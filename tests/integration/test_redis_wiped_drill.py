"""shared/RELIABILITY.md 7b: every outgoing email is a row first, so a Redis that comes back
without its data loses none of them.

The drill, through the real stack: gunicorn on a Redis of the test's own, no worker running.
A customer signs in over HTTP and posts the real phone and email forms; an agent signs in and,
in the admin, replies to one request and solves another; someone asks for a password reset.
Every task for all of that now sits in Redis. Redis is stopped and started again without its
data (no append-only file, no snapshot): the queue is empty. Then a worker with beat starts:
every ticket is queued and confirmed once, and every email (confirmations, the reply, the
status change, the reset link) reaches the mail server exactly once.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import pytest

from hub.accounts.models import OutboundEmail, User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.hub import contact_world
from tickets.models import CallbackRequest, Channel, EventKind, Status, Ticket

from .conftest import (
    LiveHub,
    MailCatcher,
    SpareRedis,
    all_queued_confirmed_and_delivered,
    form_fields,
    post_email,
    post_phone,
    production_password,
    redis_call,
    wait_for,
)
from .test_callback_queue_faults import fast_env

pytestmark = pytest.mark.integration

ROUNDS = 3


def test_a_redis_restarted_without_its_data_loses_no_ticket_and_no_email(
    start_gunicorn: Callable[..., LiveHub],
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    mail_catcher: Callable[..., MailCatcher],
    product_areas: list[ProductArea],
    standard_user: User,
    agent: User,
) -> None:
    production_password(standard_user)
    production_password(agent)
    contact_world.open_world()
    catcher = mail_catcher()
    env = fast_env(worker_env, spare_redis, EMAIL_URL=catcher.url)
    hub = start_gunicorn(env=env)

    customer = hub.browser()
    assert customer.sign_in("standard@acme.example", PASSWORD).status == 302
    subjects = []
    for n in range(ROUNDS):
        for post, kind in ((post_phone, "phone"), (post_email, "email")):
            subject = f"wiped {kind} {n}"
            reply = post(customer, subject)
            assert reply.status == 302, reply.text[:500]
            assert reply.headers["Location"].startswith("/hub/requests/CS-")
            subjects.append(subject)

    # An agent works on two of the email requests in the admin, over HTTP.
    staff = hub.browser()
    assert staff.sign_in("agent@hub.example", PASSWORD).status == 302
    replied = Ticket.objects.get(subject="wiped email 0")
    solved = Ticket.objects.get(subject="wiped email 1")
    for ticket, change in (
        (replied, {"reply": "We can see the export stop; a fix is on its way."}),
        (solved, {"move_to": Status.SOLVED}),
    ):
        page = f"/admin/tickets/ticket/{ticket.pk}/change/"
        form = staff.get(page)
        assert form.status == 200, form.text[:500]
        fields = {**form_fields(form.text, "ticket_form"), **change}
        saved = staff.post(page, fields)
        assert saved.status == 302, saved.text[:2000]
    replied.refresh_from_db()
    solved.refresh_from_db()
    assert replied.status == Status.IN_PROGRESS
    assert solved.status == Status.SOLVED

    # And someone asks for a new password.
    stranger = hub.browser()
    reset = stranger.post("/accounts/password/reset/", {"email": "standard@acme.example"})
    assert reset.status == 302, reset.text[:500]

    written = OutboundEmail.objects.exclude(purpose="confirmation")
    assert sorted(written.values_list("purpose", flat=True)) == sorted(
        ["reply", "status", "password_reset_key"]
    ), list(written.values_list("purpose", flat=True))
    waiting = int(redis_call(spare_redis, "LLEN", "celery"))
    # At least one task for the phone requests, one for the email requests (one run
    # confirms every request that waits) and one for each email row.
    assert waiting >= 2 + written.count(), "the tasks sit in Redis"

    spare_redis.wipe()
    assert redis_call(spare_redis, "DBSIZE") == "0"

    tickets = Ticket.objects.filter(subject__in=subjects)
    phones = tickets.filter(channel=Channel.PHONE)
    emails = OutboundEmail.objects.all()

    def recovered() -> bool:
        return all_queued_confirmed_and_delivered(subjects, catcher)

    back = time.monotonic()
    start_worker(env=env, beat=True)
    try:
        wait_for(recovered, timeout=90, what="every ticket queued and every email sent")
    except AssertionError:
        print(
            CallbackRequest.objects.filter(ticket__in=phones).count(), phones.count(),
            list(tickets.values_list("subject", "confirmation_sent_at")),
            list(emails.values_list("purpose", "message_id", "sent_at")),
            catcher.message_ids(), catcher.dropped,
        )  # fmt: skip
        raise
    seconds = time.monotonic() - back
    time.sleep(3)  # a late duplicate would show now

    rows = {row.message_id: row for row in emails}
    delivered = catcher.message_ids()
    duplicated = sum(count - 1 for count in delivered.values() if count > 1)
    lost = [rows[mid].purpose for mid in rows if mid not in delivered]
    strangers = [mid for mid in delivered if mid not in rows]
    queued = CallbackRequest.objects.filter(ticket__in=phones).count()
    print(
        f"\nredis wiped drill: submitted {len(subjects)}, created {tickets.count()}, "
        f"queued {queued}/{phones.count()}, emails written {len(rows)} "
        f"({', '.join(sorted({r.purpose for r in rows.values()}))}), "
        f"emailed {sum(delivered.values())}, duplicated {duplicated}, lost {len(lost)}; "
        f"tasks wiped with Redis {waiting}; recovered {seconds:.1f}s after the worker started"
    )
    assert tickets.count() == len(subjects)
    for subject in subjects:
        ticket = tickets.get(subject=subject)
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1, subject
        if ticket.channel == Channel.PHONE:
            assert CallbackRequest.objects.filter(ticket=ticket).count() == 1, subject
            assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1, subject
    assert emails.filter(purpose="confirmation").count() == len(subjects)
    assert emails.filter(purpose="reply").count() == 1
    assert emails.filter(purpose="status").count() == 1
    assert emails.filter(purpose="password_reset_key").count() == 1
    assert not lost, lost
    assert not strangers, strangers
    assert duplicated == 0, delivered
