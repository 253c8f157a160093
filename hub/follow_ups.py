"""Work that a task's own work calls for, done by the worker that is already running it.

A phone submission's task queues the callback, which calls for the confirmation, which calls
for the email to be sent: three tasks, each published to Redis, fetched, handed to a pool
process and acknowledged. Each round trip cost the worker about 4.6 ms of CPU under the
prefork pool (measured with a near-empty task). So a follow-up called for inside a task
the worker is running is run at once in the same process, after the transaction that called
for it has committed; outside a worker (a request, a command, eager tasks) it is published
as before. Under a backlog a caller may instead send a follow-up to wait its turn on the
broker, behind the work customers are waiting on (``later`` in
``tickets.services.enqueue_on_commit``). Follow-ups of one task held back side by side run as
one call of its batched form where it has one (``follow_ups_batched``): a run's hundred
confirmation emails go over one connection to the mail server.

Nothing is lost when a follow-up run here fails or the process dies first: the row it was to
act on is committed, and the sweepers (``tickets.services.outbox_sweep``,
``hub.accounts.outbox.outbound_emails_sweep``) do what was left undone, as they do for a
message the broker never took.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from celery import Task
from celery._state import get_current_worker_task

logger = logging.getLogger(__name__)

# Tasks whose follow-ups, held back together, run as one call of another task that takes the
# list of their arguments (registered by ``follow_ups_batched``), by task name.
_batched: dict[str, Task[Any, Any]] = {}

# The follow-ups held back by ``follow_ups_after``, in the order they were called for.
_held: ContextVar[list[tuple[Task[Any, Any], tuple[Any, ...]]] | None] = ContextVar(
    "follow_ups_held", default=None
)


def in_worker_task() -> bool:
    """Whether this code runs inside a task a worker took from the broker."""
    task = get_current_worker_task()
    return task is not None and not task.request.is_eager


def _routed_to_default_queue(task: Task[Any, Any]) -> bool:
    queue = task.app.amqp.router.route({}, task.name).get("queue")
    return queue is None or queue.name == task.app.conf.task_default_queue


def follow_up_here(task: Task[Any, Any], *args: Any) -> bool:
    """Inside a worker's task, run ``task(*args)`` now in this process and return True (a
    failure is logged and left to the sweepers); elsewhere return False, to publish it.

    Tasks routed to a queue of their own (the knowledge base's indexing, which a worker of
    its own runs so that it never holds up a callback) are always published."""
    if not in_worker_task() or not _routed_to_default_queue(task):
        return False
    held = _held.get()
    if held is not None:
        held.append((task, args))
        return True
    _run(task, args)
    return True


def follow_ups_batched(task: Task[Any, Any], batch: Task[Any, Any]) -> None:
    """Follow-ups of ``task`` (taking one argument) held back side by side by
    ``follow_ups_after`` run as one call of ``batch`` with the list of their arguments."""
    _batched[task.name] = batch


def _run(task: Task[Any, Any], args: tuple[Any, ...]) -> None:
    try:
        task(*args)
    except Exception:
        logger.exception("follow-up %s%r failed: left to the sweeper", task.name, args)


@contextlib.contextmanager
def follow_ups_after() -> Iterator[None]:
    """The follow-ups called for inside run when it ends, in order, not as each transaction
    commits: a task that commits many small transactions (confirmations written in batches)
    finishes writing before it starts sending. Outside a worker's task it changes nothing."""
    if _held.get() is not None:
        yield
        return
    held: list[tuple[Task[Any, Any], tuple[Any, ...]]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        for task, entries in itertools.groupby(held, key=lambda entry: entry[0]):
            calls = [args for _task, args in entries]
            batch = _batched.get(task.name)
            if batch is not None and len(calls) > 1:
                _run(batch, ([args[0] for args in calls],))
                continue
            for args in calls:
                _run(task, args)
