"""R-QUEUE and shared/RELIABILITY.md 1-5: nothing lost, nothing doubled, with real parts.

Each test starts its own redis-server and Celery worker on spare loopback ports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from hub.accounts.models import User
from tickets.models import CallbackRequest, Channel, EventKind, Team, Ticket
from tickets.services import ticket_create
from tickets.tasks import enqueue_callback

from .conftest import SpareRedis, wait_for

pytestmark = pytest.mark.integration


def phone_ticket(user: User, subject: str = "Dashboard will not load", **extra: object) -> Ticket:
    return ticket_create(
        requester=user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject=subject,
        language="en",
        phone_number="+442079460018",
        recording_consent=True,
        **extra,  # type: ignore[arg-type]
    )


def fast_env(worker_env: dict[str, str], redis: SpareRedis, **extra: str) -> dict[str, str]:
    return {
        **worker_env,
        "REDIS_URL": redis.url,
        "TICKETS_SWEEP_INTERVAL": "2",
        "TICKETS_SWEEP_GRACE": "1",
        "CELERY_VISIBILITY_TIMEOUT": "6",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        **extra,
    }


def queued_once(ticket: Ticket) -> bool:
    return CallbackRequest.objects.filter(ticket=ticket).exists()


def test_a_phone_submission_is_queued_once_and_confirmed_once(
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    publish_to: Callable[[str], None],
    standard_user: User,
) -> None:
    start_worker(env=fast_env(worker_env, spare_redis))
    publish_to(spare_redis.url)
    ticket = phone_ticket(standard_user)
    # The same message delivered again (at-least-once delivery) changes nothing.
    enqueue_callback.delay(ticket.pk)
    wait_for(lambda: queued_once(ticket), timeout=60, what="the callback to be queued")
    wait_for(
        lambda: Ticket.objects.filter(pk=ticket.pk, confirmation_sent_at__isnull=False).exists(),
        timeout=60,
        what="the confirmation",
    )
    time.sleep(2)
    ticket.refresh_from_db()
    assert ticket.status == "queued"
    assert CallbackRequest.objects.filter(ticket=ticket).count() == 1
    assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1
    assert ticket.events.filter(kind=EventKind.EMAIL_SENT).count() == 1


def test_with_redis_stopped_submissions_succeed_and_reach_the_queue_after_it_returns(
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    publish_to: Callable[[str], None],
    standard_user: User,
) -> None:
    start_worker(env=fast_env(worker_env, spare_redis), beat=True)
    publish_to(spare_redis.url)
    spare_redis.stop()

    started = time.monotonic()
    tickets = [phone_ticket(standard_user, subject=f"Broker down {n}") for n in range(5)]
    elapsed = time.monotonic() - started
    assert all(ticket.pk for ticket in tickets), "every submission was saved"
    assert elapsed < 5 * 5, f"submissions hung on the dead broker ({elapsed:.1f}s)"
    assert not CallbackRequest.objects.filter(ticket__in=tickets).exists()

    spare_redis.start()
    wait_for(
        lambda: CallbackRequest.objects.filter(ticket__in=tickets).count() == 5,
        timeout=90,
        what="the sweeper to queue every ticket once Redis is back",
    )
    assert CallbackRequest.objects.filter(ticket__in=tickets).count() == 5
    for ticket in tickets:
        assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1


class RowLock:
    """Holds a row lock on a ticket from another connection, so the task blocks on it."""

    def __init__(self, ticket_id: int) -> None:
        self.ticket_id = ticket_id
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=self.ticket_id)
                self.locked.set()
                self.release.wait(timeout=120)
        finally:
            connections.close_all()

    def __enter__(self) -> RowLock:
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(timeout=30)


def task_blocked_on_lock() -> bool:
    # Query text is cut at track_activity_query_size, so match the table, not FOR UPDATE.
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND query ILIKE %s",
            ['%"tickets_ticket"."id"%'],
        )
        return bool(cursor.fetchone()[0])


def children_of(pid: int) -> list[int]:
    result = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    )
    return [int(line) for line in result.stdout.split()]


def test_a_worker_child_killed_mid_task_runs_it_again_and_queues_once(
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    publish_to: Callable[[str], None],
    standard_user: User,
) -> None:
    worker = start_worker(env=fast_env(worker_env, spare_redis))
    publish_to(spare_redis.url)
    # Scheduled for later, so nothing is published until the test sends the task itself.
    ticket = phone_ticket(standard_user, callback_due_at=timezone.now() + timedelta(hours=3))
    with RowLock(ticket.pk):
        enqueue_callback.delay(ticket.pk)
        wait_for(task_blocked_on_lock, timeout=60, what="the task to start and block")
        victims = children_of(worker.pid)
        assert victims, "the worker has a child process"
        for child in victims:
            os.kill(child, signal.SIGKILL)
        time.sleep(1)
    wait_for(lambda: queued_once(ticket), timeout=60, what="the task to run again")
    time.sleep(2)
    assert CallbackRequest.objects.filter(ticket=ticket).count() == 1
    assert ticket.events.filter(kind=EventKind.QUEUED).count() == 1


def test_a_whole_worker_killed_mid_task_has_its_work_restored_by_another(
    start_worker: Callable[..., subprocess.Popen[bytes]],
    worker_env: dict[str, str],
    spare_redis: SpareRedis,
    publish_to: Callable[[str], None],
    standard_user: User,
) -> None:
    env = fast_env(worker_env, spare_redis)
    doomed = start_worker(env=env)
    publish_to(spare_redis.url)
    ticket = phone_ticket(standard_user, callback_due_at=timezone.now() + timedelta(hours=3))
    with RowLock(ticket.pk):
        enqueue_callback.delay(ticket.pk)
        wait_for(task_blocked_on_lock, timeout=60, what="the task to start and block")
        for child in children_of(doomed.pid):
            os.kill(child, signal.SIGKILL)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    started = time.monotonic()
    start_worker(env=env)
    wait_for(lambda: queued_once(ticket), timeout=90, what="another worker to restore the task")
    restored_after = time.monotonic() - started
    assert CallbackRequest.objects.filter(ticket=ticket).count() == 1
    # With the test's 6 s visibility timeout; production's 60 s gives "about a minute".
    assert restored_after < 60
