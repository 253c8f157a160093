"""A Redis cache that is a helper, never a single point of failure for a page.

When Redis refuses, times out or hangs, an operation falls back to a local-memory cache in
this process and Redis is left alone for a few seconds, so that a hung server costs one
short timeout per process, not one per request. For anything stored before the outage the
fallback is a miss; what is stored during it lives in this process only.

Sessions (``hub.sessions``) keep their copies on the same Redis but never on the fallback:
they ask ``on_redis`` and read the database when it raises ``RedisAway``.

The one other user of the cache on the request path is allauth's rate limiting, which takes a lock
with ``add`` and keeps a history with ``get``/``set``: on the fallback both still work, per
process, so limits stay in force (each process counting its own) and nobody is locked out
because Redis is away. Failing closed would turn every sign-in into a 429 during an outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# One fallback store and one "Redis is away until" per process, shared by every thread
# (Django makes a cache object per thread).
_FALLBACK = LocMemCache("hub-redis-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
_state_lock = threading.Lock()
_away_until = 0.0
# How many times this process has found Redis away: whoever keeps facts on Redis can tell
# that it may have missed changes since it last looked.
_outages = 0


class RedisAway(Exception):
    """Redis refused, timed out, or is being left alone after doing so."""


def redis_is_away() -> bool:
    return time.monotonic() < _away_until


def outages_seen() -> int:
    return _outages


def _mark_away(seconds: float, error: Exception) -> None:
    global _away_until, _outages
    with _state_lock:
        if not redis_is_away():
            logger.warning("cache: Redis unavailable (%s); local memory for %ss", error, seconds)
            _outages += 1
        _away_until = time.monotonic() + seconds


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one ``Redis`` object per connection pool.

    Django builds a new ``Redis`` for every operation, and its constructor fills a table of
    about 170 response callbacks: a few hundred microseconds on every signed-in request for
    nothing, since a ``Redis`` over a pool is safe to share between threads."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[bool, Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Redis:
        client = self._clients.get(write)
        if client is None:
            client = self._clients[write] = super().get_client(key, write=write)
        return client


class KeysUncheckedMixin:
    """No check of each key against memcached's rules (length, control characters).

    Django runs it on every key of every cache for portability to memcached, one character
    at a time in Python: a few microseconds a key, and a signed-in page makes dozens. Redis
    and local memory take any key, and these caches are never moved to memcached."""

    def validate_key(self, key: str) -> None:
        return None


class FragmentCache(KeysUncheckedMixin, LocMemCache):
    """Local memory for drawn fragments of pages (``CACHES["fragments"]``).

    What it keeps is never changed in place (drawn HTML is a string, and the lists kept
    here are tuples), so it is kept as it is: Django's local-memory cache pickles every
    value on the way in and unpickles it on every read, to hand out copies, and a page
    reads half a dozen fragments."""

    # LocMemCache's own, which django-stubs leaves out.
    _cache: OrderedDict[str, Any]
    _lock: threading.Lock
    _set: Callable[[str, Any, float | None], None]
    _has_expired: Callable[[str], bool]
    _delete: Callable[[str], bool]

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._set(key, value, timeout)
                return True
            return False

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                return default
            value = self._cache[key]
            self._cache.move_to_end(key, last=False)
        return value

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        with self._lock:
            self._set(key, value, timeout)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        raise NotImplementedError("the fragments cache keeps drawings, not counters")


class DegradingRedisCache(KeysUncheckedMixin, RedisCache):
    """``RedisCache`` that degrades to a per-process local-memory cache on Redis errors.

    ``AWAY_SECONDS`` (default 5) is how long Redis is left alone after an error.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self.away_seconds = float(params.get("AWAY_SECONDS", 5))

    def _either[T](self, on_redis: Callable[[BaseCache], T]) -> T:
        if not redis_is_away():
            try:
                return on_redis(cast(BaseCache, super()))
            except RedisError as error:
                _mark_away(self.away_seconds, error)
        return on_redis(_FALLBACK)

    def loads(self, raw: bytes) -> Any:
        """A value as ``get`` would return it, from what Redis holds (read by ``on_redis``)."""
        return cast(Any, self._cache)._serializer.loads(raw)

    def on_redis[T](self, command: Callable[[Redis], T]) -> T:
        """Run ``command`` with a client of Redis itself, never the fallback.

        Raises ``RedisAway`` when Redis fails or is being left alone, so that the caller can
        go to the database instead."""
        if redis_is_away():
            raise RedisAway
        try:
            return command(self._cache.get_client(write=True))
        except RedisError as error:
            _mark_away(self.away_seconds, error)
            raise RedisAway from error

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._either(lambda cache: cache.add(key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._either(lambda cache: cache.get(key, default, version))

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._either(lambda cache: cache.set(key, value, timeout, version))

    def touch(
        self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._either(lambda cache: cache.touch(key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._either(lambda cache: cache.delete(key, version))

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        return self._either(lambda cache: cache.get_many(keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._either(lambda cache: cache.has_key(key, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._either(lambda cache: cache.incr(key, delta, version))

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        return self._either(lambda cache: cache.set_many(data, timeout, version))

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        keys = list(keys)
        self._either(lambda cache: cache.delete_many(keys, version))

    def clear(self) -> None:
        _FALLBACK.clear()
        self._either(lambda cache: cache.clear())
