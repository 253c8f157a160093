"""shared/RELIABILITY.md 2-4 and 7b: a worker killed outright loses no ticket and no email.

The drill, through the real stack: gunicorn and one Celery worker (two children) on a Redis
of the test's own, mailing to an SMTP server of the test's own that takes a second to accept
each message. A customer posts a batch of phone and email requests over HTTP. While the
worker sends confirmations, one child is killed with SIGKILL in the middle of a send; later,
in the middle of another send, the whole worker (children and parent) is killed. A new
worker with beat takes over: the killed child's message comes back (acks late, rejected on
a lost worker), the dead worker's unacknowledged messages are restored after the
visibility timeout, and the sweeps send what is left. Every ticket is queued once, every
outgoing email reaches the mail server once; a copy is allowed only in the documented
window (accepted by the server, not yet marked sent), and then carries the same Message-ID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import pytest

from hub.accounts.models import OutboundEmail, User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.hub import contact_world
from tickets.models import CallbackRequest, Channel, EventKind, Ticket

from .conftest import (
    LiveHub,
    MailCatcher,
    SpareRedis,
    all_queued_confirmed_and_delivered,
    children_of,
    pid_on_port,
    post_email,
    post_phone,
    production_password,
    wait_for,
)
from .test_callback_queue_faults import fast_env

pytestmark = pytest.mark.integration

ROUNDS = 8
SEND_SECONDS = 1.0


def _kill_mid_send(catcher: MailCatcher, pids: Callable[[int], list[int]]) -> None:
    """SIGKILL the sender (and what ``pids`` adds to it) early in its wait for the answer.

    Early, so the kill cannot lose a race with the server's 250: a kill just after it is
    the documented duplicate window, not what this drill is after."""
    deadline = time.monotonic() + 60
    while (newest := catcher.newest_in_flight()) is None or newest[0] > SEND_SECONDS / 4:
        assert time.monotonic() < deadline, "timed out waiting for a send in progress"
        time.sleep(0.01)
    for pid in pids(pid_on_port(newest[1])):
        os.kill(pid, signal.SIGKILL)


def test_a_worker_killed_mid_send_loses_and_doubles_nothing(
    start_gunicorn: Callable[..., LiveHub],
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    mail_catcher: Callable[..., MailCatcher],
    product_areas: list[ProductArea],
    standard_user: User,
) -> None:
    production_password(standard_user)
    contact_world.open_world()
    catcher = mail_catcher(delay=SEND_SECONDS)
    env = fast_env(worker_env, spare_redis, EMAIL_URL=catcher.url)
    hub = start_gunicorn(env=env)
    doomed = start_worker(env=env, concurrency=2)

    customer = hub.browser()
    assert customer.sign_in("standard@acme.example", PASSWORD).status == 302
    subjects = []
    for n in range(ROUNDS):
        for post, kind in ((post_phone, "phone"), (post_email, "email")):
            subject = f"killed {kind} {n}"
            reply = post(customer, subject)
            assert reply.status == 302, reply.text[:500]
            subjects.append(subject)

    # A child dies in the middle of a send; the worker forks another and goes on.
    def the_sender(sender: int) -> list[int]:
        assert sender in children_of(doomed.pid), "a child of the worker sends the mail"
        return [sender]

    _kill_mid_send(catcher, the_sender)
    kills = 1
    accepted = len(catcher.accepted)
    wait_for(
        lambda: len(catcher.accepted) > accepted,
        timeout=60,
        what="the worker to go on after losing a child",
    )
    # Then the whole worker dies in the middle of another send.
    _kill_mid_send(catcher, lambda sender: [*children_of(doomed.pid), doomed.pid])
    kills += 1
    doomed.wait(timeout=10)
    left = OutboundEmail.objects.filter(sent_at__isnull=True).count()
    unconfirmed = Ticket.objects.filter(confirmation_sent_at__isnull=True).count()
    assert left + unconfirmed, "the worker died with work left (else the drill proves little)"

    tickets = Ticket.objects.filter(subject__in=subjects)
    phones = tickets.filter(channel=Channel.PHONE)
    emails = OutboundEmail.objects.all()

    def recovered() -> bool:
        return all_queued_confirmed_and_delivered(subjects, catcher)

    back = time.monotonic()
    start_worker(env=env, concurrency=2, beat=True)
    wait_for(recovered, timeout=90, what="the new worker to finish the dead one's work")
    seconds = time.monotonic() - back
    time.sleep(3)  # a late duplicate would show now

    rows = {row.message_id: row for row in emails}
    delivered = catcher.message_ids()
    duplicated = sum(count - 1 for count in delivered.values() if count > 1)
    lost = [rows[mid].purpose for mid in rows if mid not in delivered]
    strangers = [mid for mid in delivered if mid not in rows]
    queued = CallbackRequest.objects.filter(ticket__in=phones).count()
    print(
        f"\nworker killed drill: submitted {len(subjects)}, created {tickets.count()}, "
        f"queued {queued}/{phones.count()}, emails written {len(rows)}, "
        f"emailed {sum(delivered.values())}, duplicated {duplicated}, lost {len(lost)}; "
        f"SIGKILLs {kills} (a child, then the worker), sends cut off {catcher.dropped}, "
        f"left by the dead worker: {left} unsent emails, {unconfirmed} unconfirmed tickets; "
        f"recovered {seconds:.1f}s after the new worker started"
    )
    assert tickets.count() == len(subjects)
    assert catcher.dropped >= kills, "each kill landed in the middle of a send"
    for subject in subjects:
        ticket = tickets.get(subject=subject)
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1, subject
        if ticket.channel == Channel.PHONE:
            assert CallbackRequest.objects.filter(ticket=ticket).count() == 1, subject
            assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1, subject
    assert emails.filter(purpose="confirmation").count() == len(subjects)
    assert not lost, lost
    # Counted by Message-ID: a copy is the same message, never a new one.
    assert not strangers, strangers
    # A copy only from a kill between the server's 250 and the row's UPDATE: at most one
    # per kill, and these kills landed before the 250.
    assert duplicated <= kills, delivered
