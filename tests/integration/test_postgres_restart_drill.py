"""A PostgreSQL restart: clear error pages while it is away, nothing half-saved, and every
request that was taken is queued and emailed once when it returns.

The drill, through the real stack, on a PostgreSQL cluster of the test's own (initdb in a
temporary directory, on a spare port; never the shared server), holding a copy of the test
database: gunicorn, a worker with beat, a Redis and an SMTP server of the test's own. A
customer signs in over HTTP and posts the real phone and email forms; the cluster is
stopped (fast shutdown: sessions ended, as in a restart or a failover) before any worker
ran, so a worker started then fails every task and sweep on the dead database (a failed
task is acknowledged: only the sweeps can bring that work back); the customer posts again
and gets the hub's error page at once, never a hang; the cluster starts again; the customer
sends one of the refused forms again (same idempotency key) and posts new ones. Every
request taken is queued and confirmed once, every email reaches the mail server once, and
nothing refused was saved.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest

from hub.accounts.models import OutboundEmail, User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.hub import contact_world
from tickets.models import CallbackRequest, Channel, EventKind, Ticket, TicketEvent

from .conftest import (
    Browser,
    LiveHub,
    MailCatcher,
    Reply,
    SpareRedis,
    ThrowawayPostgres,
    post_email,
    post_phone,
    production_password,
    wait_for,
    worker_log,
)
from .test_callback_queue_faults import fast_env

pytestmark = pytest.mark.integration

DRILL_DB = "hub_drill"
ROUNDS = 2


@dataclass
class Snapshot:
    """What the drill's database holds, read with plain SQL: this test process's Django
    connections are to the test database, and a test case allows no others."""

    tickets: dict[str, tuple[int, str, bool]]  # subject: (id, channel, confirmed)
    callbacks: Counter[int]  # ticket id: callback requests
    events: Counter[tuple[int, str]]  # (ticket id, kind): events
    emails: dict[str, tuple[str, bool]]  # Message-ID: (purpose, sent)

    @classmethod
    def read(cls, url: str) -> Snapshot:
        ticket, callback, event, email = (
            model._meta.db_table for model in (Ticket, CallbackRequest, TicketEvent, OutboundEmail)
        )
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as db:
            tickets = {
                subject: (pk, channel, confirmed)
                for pk, subject, channel, confirmed in db.execute(
                    f"SELECT id, subject, channel, confirmation_sent_at IS NOT NULL "  # noqa: S608
                    f"FROM {ticket} WHERE subject LIKE 'pg %%'"
                )
            }
            callbacks = Counter(
                dict(db.execute(f"SELECT ticket_id, count(*) FROM {callback} GROUP BY 1"))  # noqa: S608
            )
            events = Counter(
                {
                    (pk, kind): n
                    for pk, kind, n in db.execute(
                        f"SELECT ticket_id, kind, count(*) FROM {event} GROUP BY 1, 2"  # noqa: S608
                    )
                }
            )
            emails = {
                message_id: (purpose, sent)
                for message_id, purpose, sent in db.execute(
                    f"SELECT message_id, purpose, sent_at IS NOT NULL FROM {email}"  # noqa: S608
                )
            }
        return cls(tickets, callbacks, events, emails)

    @property
    def phones(self) -> list[int]:
        return [pk for pk, channel, _ in self.tickets.values() if channel == Channel.PHONE]

    def recovered(self, delivered: Counter[str]) -> bool:
        return (
            all(self.callbacks[pk] for pk in self.phones)
            and all(confirmed for _pk, _channel, confirmed in self.tickets.values())
            and all(sent for _purpose, sent in self.emails.values())
            and set(delivered) >= set(self.emails)
        )


def _post_round(browser: Browser, label: str, n: int) -> list[tuple[str, str, Reply]]:
    """One phone and one email request: (subject, idempotency key, reply) each."""
    sent = []
    for post, kind in ((post_phone, "phone"), (post_email, "email")):
        subject, key = f"pg {label} {kind} {n}", uuid.uuid4().hex
        sent.append((subject, key, post(browser, subject, key)))
    return sent


def test_a_postgres_restart_gives_clear_errors_and_loses_or_doubles_nothing(
    throwaway_postgres: ThrowawayPostgres,
    start_gunicorn: Callable[..., LiveHub],
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    mail_catcher: Callable[..., MailCatcher],
    product_areas: list[ProductArea],
    standard_user: User,
    request: pytest.FixtureRequest,
) -> None:
    from django.conf import settings

    production_password(standard_user)
    contact_world.open_world()
    pg = throwaway_postgres
    url = pg.copy_of(DRILL_DB, settings.DATABASES["default"])
    catcher = mail_catcher()
    env = fast_env(worker_env, spare_redis, EMAIL_URL=catcher.url, DATABASE_URL=url)
    hub = start_gunicorn(env=env)

    customer = hub.browser()
    assert customer.sign_in("standard@acme.example", PASSWORD).status == 302
    taken: list[str] = []
    for n in range(ROUNDS):
        for subject, _key, reply in _post_round(customer, "before", n):
            assert reply.status == 302, reply.text[:500]
            taken.append(subject)

    # Their tasks sit in Redis; the worker starts only once PostgreSQL is gone, so every
    # one of them (and every sweep) meets the dead database.
    pg.stop()
    down = time.monotonic()
    start_worker(env=env, beat=True)
    log = worker_log(request, 0)
    refused: list[tuple[str, str, Reply]] = []
    for n in range(ROUNDS):
        refused += _post_round(customer, "during", n)
    page = customer.get("/hub/")
    for _subject, _key, reply in [*refused, ("", "", page)]:
        assert reply.status in (500, 503), (reply.what, reply.status, reply.text[:300])
        assert "Something went wrong" in reply.text, reply.text[:300]
        assert reply.seconds < 5, f"{reply.what} took {reply.seconds:.1f}s"
    slowest = max(reply.seconds for _s, _k, reply in refused)

    def failures() -> int:
        text = log.read_text(errors="replace") if log.exists() else ""
        return text.count("raised unexpected: OperationalError")

    wait_for(
        lambda: failures() >= 2 * ROUNDS,
        timeout=30,
        what="the worker's tasks and sweeps to meet the dead database",
    )
    failed_tasks = failures()

    pg.start()
    wait_for(
        lambda: hub.request("GET", "/healthz", timeout=5).status == 200,
        timeout=30,
        what="/healthz once PostgreSQL is back",
    )
    outage = time.monotonic() - down
    # The customer sends the first refused form again, as the error page suggests; twice,
    # as impatient people do: one request.
    subject, key, _reply = refused[0]
    for _ in range(2):
        again = post_phone(customer, subject, key)
        assert again.status == 302, again.text[:500]
    taken.append(subject)
    for n in range(ROUNDS):
        for subject, _key, reply in _post_round(customer, "after", n):
            assert reply.status == 302, reply.text[:500]
            taken.append(subject)

    wait_for(
        lambda: Snapshot.read(url).recovered(catcher.message_ids()),
        timeout=90,
        what="every ticket queued and every email sent",
    )
    seconds = time.monotonic() - down
    time.sleep(3)  # a late duplicate would show now

    now = Snapshot.read(url)
    rows = now.emails
    delivered = catcher.message_ids()
    duplicated = sum(count - 1 for count in delivered.values() if count > 1)
    lost = [rows[mid][0] for mid in rows if mid not in delivered]
    strangers = [mid for mid in delivered if mid not in rows]
    half_saved = [s for s, _k, _r in refused[1:] if s in now.tickets]
    queued = sum(1 for pk in now.phones if now.callbacks[pk])
    print(
        f"\npostgres restart drill: submitted {len(taken) + len(refused) - 1} "
        f"({len(refused)} while it was down: {len(refused)} error pages, slowest "
        f"{slowest:.2f}s; one sent again twice after), created {len(now.tickets)}, "
        f"queued {queued}/{len(now.phones)}, emailed {sum(delivered.values())} "
        f"of {len(rows)}, duplicated {duplicated}, lost {len(lost)}, half-saved "
        f"{len(half_saved)}; tasks failed on the dead database {failed_tasks}; down "
        f"{outage:.1f}s, all queued and emailed {seconds:.1f}s after the stop"
    )
    assert sorted(now.tickets) == sorted(taken)
    assert not half_saved, half_saved
    for subject in taken:
        pk, channel, _confirmed = now.tickets[subject]
        assert now.events[pk, EventKind.EMAIL_SENT] == 1, subject
        if channel == Channel.PHONE:
            assert now.callbacks[pk] == 1, subject
            assert now.events[pk, EventKind.QUEUED] == 1, subject
    assert [purpose for purpose, _sent in rows.values()].count("confirmation") == len(taken)
    assert not lost, lost
    assert not strangers, strangers
    assert duplicated == 0, delivered
