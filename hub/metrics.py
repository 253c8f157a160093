"""Prometheus figures: requests (counted where they are served) and Celery task failures.

Gunicorn runs several worker processes; each counts its own requests. With
PROMETHEUS_MULTIPROC_DIR set (docker-compose.yml's web service; deploy/gunicorn.conf.py
empties it when gunicorn starts), prometheus_client keeps the counts in files there and a
scrape adds up every process's. Without it (runserver, the tests) the counts are this
process's.

Task failures happen in the Celery workers, other processes and containers than the one
scraped, so they are counted in Redis (a hash, one field per task) and read at scrape time;
without Redis (the embedded default, tasks run in the web process) they are counted in this
process.
"""

from __future__ import annotations

import logging
import os
from collections import Counter as Tally
from collections.abc import Iterator

import redis
from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from hub import health

logger = logging.getLogger(__name__)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "hub_http_requests",
    "HTTP requests served, by method, URL name and status code.",
    ["method", "view", "status"],
)
REQUEST_SECONDS = Histogram(
    "hub_http_request_duration_seconds",
    "Time to answer an HTTP request (from the first middleware), by method and URL name.",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def request_observe(*, method: str, view: str, status: int, seconds: float) -> None:
    """Count one served request. Unknown methods and unresolved paths are grouped, so a
    scanner's requests cannot add a series each."""
    method = method if method in _METHODS else "other"
    view = view or "unresolved"
    REQUESTS.labels(method=method, view=view, status=str(status)).inc()
    REQUEST_SECONDS.labels(method=method, view=view).observe(seconds)


# --- Celery task failures --------------------------------------------------------------------

TASK_FAILURES_KEY = "hub:metrics:task-failures"
_local_failures: Tally[str] = Tally()


def task_failure_record(task_name: str) -> None:
    """Count a task that raised (Celery's task_failure signal, hub.celery). Never raises: a
    Redis that is away costs the count, not the worker."""
    if not settings.REDIS_URL:
        _local_failures[task_name] += 1
        return
    try:
        health.broker_client(settings.REDIS_URL).hincrby(TASK_FAILURES_KEY, task_name, 1)
    except redis.RedisError:
        logger.warning("Could not count the failure of task %s in Redis", task_name)


def task_failure_counts() -> dict[str, int]:
    """Failures so far, by task name (since Redis's data began)."""
    if not settings.REDIS_URL:
        return dict(_local_failures)
    raw = health.broker_client(settings.REDIS_URL).hgetall(TASK_FAILURES_KEY)
    return {
        name.decode() if isinstance(name, bytes) else str(name): int(count)
        for name, count in raw.items()
    }


class TaskFailureCollector(Collector):
    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "hub_celery_task_failures",
            "Celery tasks that raised, by task name (counted in Redis, across every worker).",
            labels=["task"],
        )
        try:
            counts = task_failure_counts()
        except redis.RedisError:
            logger.warning("Could not read the task failure counts from Redis")
            counts = {}
        for task, count in sorted(counts.items()):
            family.add_metric([task], count)
        yield family


# --- The scrape ------------------------------------------------------------------------------


def exposition(*collectors: Collector) -> bytes:
    """The text a scrape gets: request figures (every gunicorn process's, in multiprocess
    mode), task failures and the given collectors, computed now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(requests)  # type: ignore[no-untyped-call]
    else:
        requests = REGISTRY
    computed = CollectorRegistry(auto_describe=False)
    for collector in (TaskFailureCollector(), *collectors):
        computed.register(collector)
    return generate_latest(requests) + generate_latest(computed)
