"""The tests empty their Redis database (the cache is cleared around many tests): it must be
theirs, never the one a developer's ``make run`` keeps its queue and cache in.

A run starts only on a database that is empty or holds nothing but the tests' marker key, and
leaves it that way when it ends (emptied, marker written back). A database holding any
other key was written to by someone else since: the run stops before touching a single key,
saying how to give the tests a database of their own (HUB_TEST_REDIS_URL).
"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings

from hub.cache import DegradingRedisCache

MARKER = "hub-tests:this-database-belongs-to-the-tests"


class ForeignRedisData(RuntimeError):
    """The Redis database holds keys the tests did not write."""


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def _foreign(url: str, client: redis.Redis) -> ForeignRedisData:
    keys = [key for key in client.scan(0, count=50)[1] if key != MARKER.encode()]
    sample = ", ".join(repr(key.decode(errors="replace")) for key in keys[:3])
    database = int(client.connection_pool.connection_kwargs.get("db", 0))
    count = client.dbsize() - client.exists(MARKER)
    return ForeignRedisData(
        f"The tests' Redis database {url} holds {count} key(s) they did not write "
        f"(such as {sample}): a `make run`, another program or another test run uses it. "
        "The tests empty their database, so they will not use this one. Give them one of "
        "their own, e.g. HUB_TEST_REDIS_URL=redis://127.0.0.1:6379/15 (or unset REDIS_URL for "
        "database 15 of the local server); if these keys are a killed test run's, empty it "
        f"with `redis-cli -n {database} flushdb`."
    )


def redis_database_claim(url: str) -> None:
    """At the start of a run: mark the database as the tests', or refuse it
    (ForeignRedisData) when it holds any key but the marker. A Redis that does not answer is
    left to the tests that expect that."""
    client = _client(url)
    try:
        keys = client.dbsize()
        if keys and not (keys == 1 and client.exists(MARKER)):
            raise _foreign(url, client)
        client.set(MARKER, "the hub's tests empty this database")
    except redis.ConnectionError:
        return
    finally:
        client.close()


def _is_ours(client: redis.Redis) -> bool:
    return bool(client.exists(MARKER)) or not client.dbsize()


def redis_database_empty(url: str) -> None:
    """Empty the tests' database and mark it theirs again (refused if it is not theirs)."""
    client = _client(url)
    try:
        if not _is_ours(client):
            raise _foreign(url, client)
        client.flushdb()
        client.set(MARKER, "the hub's tests empty this database")
    except redis.ConnectionError:
        return
    finally:
        client.close()


class TestsOwnRedisCache(DegradingRedisCache):
    """The cache of the tests: emptied only when the database is theirs, then marked again."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.url = server

    def clear(self) -> None:
        client = _client(self.url)
        try:
            if not _is_ours(client):
                raise _foreign(self.url, client)
            super().clear()
            client.set(MARKER, "the hub's tests empty this database")
        except redis.ConnectionError:
            super().clear()  # Redis is away: the fallback is emptied, Redis is not reached
        finally:
            client.close()


def claim_at_session_start() -> bool:
    """Before the first test: stop the run if the Redis database is not the tests'."""
    url = getattr(settings, "REDIS_URL", None)
    if url:
        redis_database_claim(url)
    return bool(url)


def empty_at_session_end() -> None:
    """After the last test: nothing of the run stays behind but the marker."""
    url = getattr(settings, "REDIS_URL", None)
    if url:
        redis_database_empty(url)
