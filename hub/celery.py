"""The Celery app. Tasks run eagerly when REDIS_URL is not set (the embedded default)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun
from django.db import close_old_connections

from hub.log import current_request_id, request_id_clear, request_id_set
from hub.metrics import task_failure_record

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The message header that carries the id of the request a task was queued for.
REQUEST_ID_HEADER = "hub_request_id"


@task_failure.connect
def task_failure_count(sender: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    """Every task that raises is counted for the metrics (hub_celery_task_failures)."""
    task_failure_record(sender.name if sender is not None else "unknown")


@before_task_publish.connect
def request_id_send(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A task queued while a request (or another task) is handled carries its id, so that
    the worker's lines for it can be found with the request's."""
    request_id = current_request_id()
    if headers is not None and request_id != "-":
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@task_prerun.connect
def request_id_adopt(task: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    # An eager task runs inside the request that queued it, whose id it already has.
    if task is None or task.request.is_eager:
        return
    request_id = getattr(task.request, REQUEST_ID_HEADER, None)
    request_id_set(request_id if isinstance(request_id, str) and request_id else "-")


@task_postrun.connect
def request_id_end(task: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    if task is not None and not task.request.is_eager:
        request_id_clear()


@task_prerun.connect
@task_postrun.connect
def database_connections_tidy(task: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    """Between tasks, the database connections as Django keeps them between requests: one
    past CONN_MAX_AGE or broken by an error is closed, the others are checked before their
    next query (CONN_HEALTH_CHECKS), so that PostgreSQL restarted between two tasks costs
    the next one a reconnection, not a failure. Celery's fixup no longer closes them
    (CELERY_DB_REUSE_MAX)."""
    if task is None or task.request.is_eager:
        return
    close_old_connections()
