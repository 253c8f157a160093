"""The signed-in user, read from a copy on Redis instead of the database when it is safe.

Every signed-in request loads its user; read from the database that was one query on every
page, as much as the rest of a small page's work. The copy follows the sessions' rules
(``hub.sessions``): the database is the truth, a Redis that fails sends reads back to it
(never to the per-process fallback), and a copy is believed only under the current
generation.

A user saved (other than signing in, which saves only ``last_login``) or deleted has its
copy replaced by a ``changed`` marker, at once and again when the transaction commits; a
copy is only written where there is neither a copy nor a marker, so a request that read the
row just before the change cannot put the old row back. The marker lapses after
``_CHANGED_SECONDS``, and the next read writes a fresh copy. When Redis cannot be told of a
change, the generation moves on and no older copy is believed. Writes that send no signals
(``QuerySet.update``) call ``user_changed``.
"""

from __future__ import annotations

import contextlib
import pickle
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from redis import Redis

from hub.accounts.models import User
from hub.cache import DegradingRedisCache, RedisAway
from hub.sessions import (
    USER_COPY_PREFIX,
    current_epoch,
    epoch_key,
    move_epoch_on,
    user_copy_read_with_session,
)

CHANGED = b"changed"
# Longer than any request that read the row before the change.
_CHANGED_SECONDS = 60
# Written unless the user changed lately or a copy of this generation is there already.
_FILL = """
local current = redis.call('GET', KEYS[1])
if current then
  if current == 'changed' then return 0 end
  if string.sub(current, 1, string.len(ARGV[3])) == ARGV[3] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


def _copy_seconds() -> int:
    return int(getattr(settings, "USER_COPY_SECONDS", 300))


def _redis_cache() -> DegradingRedisCache | None:
    cache = caches[getattr(settings, "SESSION_CACHE_ALIAS", "default")]
    return cache if isinstance(cache, DegradingRedisCache) else None


def _key(cache: DegradingRedisCache, user_id: object) -> str:
    return cache.make_and_validate_key(f"{USER_COPY_PREFIX}{user_id}")


def user_read(user_id: object, from_database: Any) -> User | None:
    """The user with this primary key: the copy when one of the current generation is
    there, else ``from_database(user_id)``, copied for the next request."""
    cache = _redis_cache()
    if cache is None:
        return cast(User | None, from_database(user_id))
    key = _key(cache, user_id)
    # The session's read usually brought the copy along (hub.sessions).
    read_with_session = user_copy_read_with_session(user_id)
    if read_with_session is not None:
        epoch, raw_copy = read_with_session
    else:
        generation_key = epoch_key(cache)
        try:
            raw_epoch, raw_copy = cache.on_redis(
                lambda redis: cast(list[bytes | None], redis.mget([generation_key, key]))
            )
            epoch = current_epoch(cache, raw_epoch)
        except RedisAway:
            return cast(User | None, from_database(user_id))
    if raw_copy is not None and raw_copy != CHANGED:
        copy_epoch, _, pickled = raw_copy.partition(b"|")
        if int(copy_epoch) == epoch:
            return cast(User, pickle.loads(pickled))
    user = cast(User | None, from_database(user_id))
    if user is not None and raw_copy != CHANGED:
        guard = f"{epoch}|"
        copy = guard.encode() + pickle.dumps(user, pickle.HIGHEST_PROTOCOL)

        def fill(redis: Redis) -> object:
            return redis.eval(_FILL, 1, key, copy, _copy_seconds(), guard)

        # Redis away: nothing was written, and the next request reads the database again.
        with contextlib.suppress(RedisAway):
            cache.on_redis(fill)
    return user


def _mark_changed(user_id: object) -> None:
    cache = _redis_cache()
    if cache is None:
        return
    key = _key(cache, user_id)
    try:
        cache.on_redis(lambda redis: redis.set(key, CHANGED, ex=_CHANGED_SECONDS))
    except RedisAway:
        move_epoch_on()


def user_changed(user_id: object) -> None:
    """The user's row changed: no copy of it is believed (now, and again at commit)."""
    _mark_changed(user_id)
    transaction.on_commit(lambda: _mark_changed(user_id))


# Signing in saves only ``last_login``. A copy whose ``last_login`` is older than the row
# is still right on everything a request reads from it (nothing reads ``last_login`` from
# ``request.user``, and no code saves the whole user it was given); marking every sign-in
# as a change would send each new session's first minute of requests to the database.
_NOT_A_CHANGE = frozenset({"last_login"})


def _on_user_save(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and frozenset(update_fields) <= _NOT_A_CHANGE:
        return
    user_changed(instance.pk)


def _on_user_delete(sender: Any, instance: User, **kwargs: Any) -> None:
    user_changed(instance.pk)


def connect_signals() -> None:
    post_save.connect(_on_user_save, sender=User, dispatch_uid="user-copy-save")
    post_delete.connect(_on_user_delete, sender=User, dispatch_uid="user-copy-delete")
