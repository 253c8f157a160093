"""What /healthz checks: the database always, the broker when one is configured."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def broker_answers() -> bool | None:
    """True or False, or None when no broker is configured (tasks run eagerly)."""
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False
