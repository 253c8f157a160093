"""The Celery app. Tasks run eagerly when REDIS_URL is not set (the embedded default)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_failure

from hub.metrics import task_failure_record

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

app = Celery("hub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_failure.connect
def task_failure_count(sender: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    """Every task that raises is counted for the metrics (hub_celery_task_failures)."""
    task_failure_record(sender.name if sender is not None else "unknown")
