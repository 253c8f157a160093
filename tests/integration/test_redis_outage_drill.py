"""shared/RELIABILITY.md 7a: Redis is a helper, never a single point of failure for a page.

The drill, through the real stack: gunicorn serving the app on a Redis of the test's own. A
customer signs in over HTTP; Redis is stopped, then (separately) hung with SIGSTOP; while it
is away the customer browses, signs in again and posts the real phone and email forms. No
answer may be a 5xx and each submission commits exactly one ticket. Then Redis comes back, a
worker with beat runs the outbox sweep, and every ticket is queued and confirmed exactly once.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from hub.accounts.models import User
from routing.models import Agent, ProductArea
from tests.conftest import PASSWORD
from tests.hub import contact_world
from tickets.models import CallbackRequest, Channel, EventKind, Ticket

from .conftest import Browser, LiveHub, Reply, SpareRedis, production_password, wait_for
from .test_callback_queue_faults import fast_env

pytestmark = pytest.mark.integration

AREA = "surveys-xm-directory"
PHONE = f"/hub/technical/areas/{AREA}/contact/phone/"
EMAIL = f"/hub/technical/areas/{AREA}/contact/email/"


@dataclass
class Outage:
    name: str
    replies: list[Reply] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> list[Reply]:
        return [reply for reply in self.replies if reply.status >= 500]

    @property
    def slowest(self) -> Reply:
        return max(self.replies, key=lambda reply: reply.seconds)


def _submit_everything(browser: Browser, outage: Outage, rounds: int) -> None:
    """Browse, sign in again, and post each contact form ``rounds`` times."""
    start = len(browser.replies)
    assert browser.get("/hub/").status == 200
    assert browser.get(PHONE).status == 200
    assert browser.sign_in("standard@acme.example", PASSWORD).status == 302
    assert browser.get("/hub/").status == 200
    for n in range(rounds):
        phone_subject = f"{outage.name} phone {n}"
        email_subject = f"{outage.name} email {n}"
        phone = browser.post(
            PHONE,
            {
                "idempotency_key": uuid.uuid4().hex,
                "area": AREA,
                "language": "en",
                "country": "GB",
                "number": "020 7946 0123",
                "email": "standard@acme.example",
                "subject": phone_subject,
                "recording_consent": "on",
            },
        )
        email = browser.post(
            EMAIL,
            {
                "idempotency_key": uuid.uuid4().hex,
                "language": "en",
                "subject": email_subject,
                "description": "The export stops at 80 % and never finishes.",
            },
        )
        for reply in (phone, email):
            assert reply.status == 302, reply.text[:500]
            assert reply.headers["Location"].startswith("/hub/requests/CS-")
        # The confirmation page is read from the database alone.
        assert browser.get(phone.headers["Location"]).status == 200
        outage.subjects += [phone_subject, email_subject]
    outage.replies = browser.replies[start:]


def test_with_redis_stopped_or_hung_customers_get_no_5xx_and_every_ticket_is_sent_once(
    start_gunicorn: Callable[..., LiveHub],
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    product_areas: list[ProductArea],
    standard_user: User,
) -> None:
    production_password(standard_user)
    agents: list[Agent] = contact_world.open_world()
    assert agents
    env = fast_env(worker_env, spare_redis)
    hub = start_gunicorn(env=env)
    browser = hub.browser()
    assert browser.sign_in("standard@acme.example", PASSWORD).status == 302
    assert browser.get("/hub/").status == 200

    stopped = Outage("stopped")
    spare_redis.stop()
    _submit_everything(browser, stopped, rounds=4)
    spare_redis.start()
    # Past the pauses that the stopped Redis started (cache and broker), so that the hang is
    # met afresh: the first cache call and the first publish each wait out their timeout.
    time.sleep(6)

    hung = Outage("hung")
    spare_redis.hang()
    try:
        _submit_everything(browser, hung, rounds=4)
    finally:
        spare_redis.wake()

    outages = (stopped, hung)
    for outage in outages:
        assert not outage.server_errors, [(r.status, r.text[:300]) for r in outage.server_errors]
        # Each submission committed exactly one ticket.
        for subject in outage.subjects:
            assert Ticket.objects.filter(subject=subject).count() == 1, subject
        # No thread waits out a hung Redis for long: one short timeout, then the fallback.
        slowest = outage.slowest
        assert slowest.seconds < 10, f"{outage.name}: {slowest.what} took {slowest.seconds:.1f}s"
    subjects = stopped.subjects + hung.subjects
    tickets = Ticket.objects.filter(subject__in=subjects)
    phones = tickets.filter(channel=Channel.PHONE)

    back = time.monotonic()
    start_worker(env=env, beat=True)
    wait_for(
        lambda: (
            CallbackRequest.objects.filter(ticket__in=phones).count() == phones.count()
            and not tickets.filter(confirmation_sent_at__isnull=True).exists()
        ),
        timeout=120,
        what="every ticket queued and confirmed once Redis is back",
    )
    recovered = time.monotonic() - back
    time.sleep(3)  # a late duplicate delivery would show now
    for ticket in tickets:
        assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1, ticket.subject
        if ticket.channel == Channel.PHONE:
            assert CallbackRequest.objects.filter(ticket=ticket).count() == 1
            assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1
    print(
        f"\nredis drill: submitted {len(subjects)}, created {tickets.count()}, "
        f"queued {CallbackRequest.objects.filter(ticket__in=phones).count()}/{phones.count()}, "
        f"confirmed {tickets.filter(confirmation_sent_at__isnull=False).count()}, "
        f"duplicated 0, 5xx {sum(len(o.server_errors) for o in outages)}; "
        f"requests {sum(len(o.replies) for o in outages)}, slowest reply "
        f"stopped {stopped.slowest.seconds:.2f}s ({stopped.slowest.what}), "
        f"hung {hung.slowest.seconds:.2f}s ({hung.slowest.what}); "
        f"all queued and confirmed {recovered:.1f}s after the worker started"
    )
