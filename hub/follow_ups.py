"""Work that a task's own work calls for, done by the worker that is already running it.

A phone submission's task queues the callback, which calls for the confirmation, which calls
for the email to be sent: three tasks, each published to Redis, fetched, handed to a pool
process and acknowledged. Each round trip cost the worker about 4.6 ms of CPU under the
prefork pool (measured with a near-empty task). So a follow-up called for inside a task
the worker is running is run at once in the same process, after the transaction that called
for it has committed; outside a worker (a request, a command, eager tasks) it is published
as before. Under a backlog a caller may instead send a follow-up to wait its turn on the
broker, behind the work customers are waiting on (``later`` in
``tickets.services.enqueue_on_commit``).

Nothing is lost when a follow-up run here fails or the process dies first: the row it was to
act on is committed, and the sweepers (``tickets.services.outbox_sweep``,
``hub.accounts.outbox.outbound_emails_sweep``) do what was left undone, as they do for a
message the broker never took.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery._state import get_current_worker_task

logger = logging.getLogger(__name__)


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
    try:
        task(*args)
    except Exception:
        logger.exception("follow-up %s%r failed: left to the sweeper", task.name, args)
    return True
