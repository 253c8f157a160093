"""The signed-in user and their membership, read from copies on Redis instead of the database
when it is safe.

Every signed-in request loads its user, and every page of the flow and the history then reads
the user's membership with its organisation and seats; read from the database those were two
queries (and the connection's health check) on every page, as much as the rest of a small
page's work. The copies follow the sessions' rules (``hub.sessions``): the database is the
truth, a Redis that fails sends reads back to it (never to the per-process fallback), and a
copy is believed only under the current generation.

A user saved (other than signing in, which saves only ``last_login``) or deleted has its
copy replaced by a ``changed`` marker, at once and again when the transaction commits; so
does a membership (its member's copy), an Enterprise Support seat (its holder's) and an
organisation (every member's). A copy is only written where there is neither a copy nor a
marker, so a request that read the row just before the change cannot put the old row back.
The marker lapses after ``_CHANGED_SECONDS``, and the next read writes a fresh copy. When
Redis cannot be told of a change, the generation moves on and no older copy is believed.
Writes that send no signals (``QuerySet.update``) call ``user_changed`` or
``members_changed``.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from redis import Redis

from hub.accounts.models import EnterpriseSeat, Membership, Organisation, User
from hub.cache import DegradingRedisCache, RedisAway
from hub.sessions import (
    MEMBER_COPY_PREFIX,
    USER_COPY_PREFIX,
    current_epoch,
    epoch_key,
    member_copy_read_with_session,
    move_epoch_on,
    user_copy_read_with_session,
)
from hub.versions import SharedVersion

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


def _copy_read(
    prefix: str,
    object_id: object,
    from_database: Callable[[Any], Any],
    read_with_session: tuple[int, bytes | None] | None,
    *,
    keeps_none: bool,
) -> Any:
    """The copy under ``prefix`` of ``object_id`` when one of the current generation is there,
    else ``from_database(object_id)``, copied for the next request (None too, if
    ``keeps_none``). The session's read usually brought the copy along (``hub.sessions``)."""
    cache = _redis_cache()
    if cache is None:
        return from_database(object_id)
    key = cache.make_and_validate_key(f"{prefix}{object_id}")
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
            return from_database(object_id)
    if raw_copy is not None and raw_copy != CHANGED:
        copy_epoch, _, pickled = raw_copy.partition(b"|")
        if int(copy_epoch) == epoch:
            return pickle.loads(pickled)
    found = from_database(object_id)
    if (found is not None or keeps_none) and raw_copy != CHANGED:
        guard = f"{epoch}|"
        copy = guard.encode() + pickle.dumps(found, pickle.HIGHEST_PROTOCOL)

        def fill(redis: Redis) -> object:
            return redis.eval(_FILL, 1, key, copy, _copy_seconds(), guard)

        # Redis away: nothing was written, and the next request reads the database again.
        with contextlib.suppress(RedisAway):
            cache.on_redis(fill)
    return found


def user_read(user_id: object, from_database: Callable[[Any], User | None]) -> User | None:
    """The user with this primary key: the copy when one of the current generation is
    there, else ``from_database(user_id)``, copied for the next request."""
    read_with_session = user_copy_read_with_session(user_id)
    return cast(
        User | None,
        _copy_read(USER_COPY_PREFIX, user_id, from_database, read_with_session, keeps_none=False),
    )


def member_read[T](user_id: int, from_database: Callable[[int], T]) -> T:
    """What ``from_database(user_id)`` reads of the user's membership (plain values that
    pickle small, or None for someone in no organisation), from its copy when one of the
    current generation is there."""
    read_with_session = member_copy_read_with_session(user_id)
    return cast(
        T,
        _copy_read(MEMBER_COPY_PREFIX, user_id, from_database, read_with_session, keeps_none=True),
    )


def _mark_changed(keys: list[str]) -> None:
    cache = _redis_cache()
    if cache is None or not keys:
        return
    names = [cache.make_and_validate_key(key) for key in keys]

    def mark(redis: Redis) -> object:
        with redis.pipeline(transaction=False) as pipeline:
            for name in names:
                pipeline.set(name, CHANGED, ex=_CHANGED_SECONDS)
            return pipeline.execute()

    try:
        cache.on_redis(mark)
    except RedisAway:
        move_epoch_on()


def _changed(keys: list[str]) -> None:
    """No copy under these keys is believed (now, and again at commit)."""
    _mark_changed(keys)
    transaction.on_commit(lambda: _mark_changed(keys))


# The lists of people that processes keep built (an organisation's members,
# ``selectors.organisation_people``, and the agents, ``selectors.active_agents``) are read
# again after any change to a user or a membership: rare beside the reads, so one version
# for every list does.
MEMBER_LIST_VERSION = SharedVersion("hub.accounts:member-list-version")


def user_changed(user_id: object) -> None:
    """The user's row changed: no copy of it is believed (now, and again at commit)."""
    _changed([f"{USER_COPY_PREFIX}{user_id}"])
    MEMBER_LIST_VERSION.changed()


def members_changed(user_ids: Iterable[object]) -> None:
    """These users' memberships, organisations or seats changed: no copy is believed."""
    _changed([f"{MEMBER_COPY_PREFIX}{user_id}" for user_id in user_ids])
    MEMBER_LIST_VERSION.changed()


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


def _on_membership_change(
    sender: Any, instance: Membership | EnterpriseSeat, **kwargs: Any
) -> None:
    members_changed([instance.user_id])


def _on_organisation_change(sender: Any, instance: Organisation, **kwargs: Any) -> None:
    members_changed(
        Membership.objects.filter(organisation_id=instance.pk).values_list("user_id", flat=True)
    )


def connect_signals() -> None:
    MEMBER_LIST_VERSION.connect_request_signals()
    post_save.connect(_on_user_save, sender=User, dispatch_uid="user-copy-save")
    post_delete.connect(_on_user_delete, sender=User, dispatch_uid="user-copy-delete")
    for model in (Membership, EnterpriseSeat):
        for signal in (post_save, post_delete):
            signal.connect(
                _on_membership_change, sender=model, dispatch_uid=f"member-copy-{model.__name__}"
            )
    for signal in (post_save, post_delete):
        signal.connect(_on_organisation_change, sender=Organisation, dispatch_uid="member-copy-org")
