"""What /healthz checks: the database always, the broker when one is configured."""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from django.db import connection


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


@functools.cache
def broker_client(url: str) -> redis.Redis:
    # One pooled client per process: a probe every few seconds should not open a connection.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def broker_answers() -> bool | None:
    """True or False, or None when no broker is configured (tasks run eagerly)."""
    if not settings.REDIS_URL:
        return None
    try:
        return bool(broker_client(settings.REDIS_URL).ping())
    except redis.RedisError:
        return False
