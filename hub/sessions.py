"""Sessions kept in the database, with a copy on Redis that is read instead when it is safe.

The database is the truth: every write goes there first, and a Redis that is down or hangs
only sends reads back to it (``hub.cache.DegradingRedisCache.on_redis``; never the
per-process fallback, which other processes could not keep honest). A signed-in request then
reads its session in one Redis round trip and no query, and writes nothing unless the session
changed or its end was last pushed back more than ``SESSION_REFRESH_AFTER`` seconds ago
(``hub.middleware.SessionMiddleware``).

Stale copies are what could go wrong: a session ended (sign-out, a password change ending the
others, the old key after sign-in) while Redis could not be told would come back with Redis.
So:

- an ended session's copy becomes a marker, ``ended``, that no later write replaces (a
  request that read the session just before it ended cannot put it back);
- a save or an end that could not reach Redis moves the generation on in the database
  (``SessionCacheEpoch``); every copy carries the generation it was written under, and
  only copies of the current one are believed;
- Redis holds the current generation for ``SESSION_CACHE_EPOCH_SECONDS`` at a time, then it
  is read from the database again; a process that has itself found Redis away reads it from
  the database at once when Redis is back. So a process that was idle through a short outage
  believes an old copy for at most that many seconds after the outage began.
"""

from __future__ import annotations

import datetime
from contextvars import ContextVar
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache import caches
from django.db.models import F
from django.utils import timezone
from redis import Redis
from redis.commands.core import Script

from hub import cache as hub_cache
from hub import versions
from hub.accounts.models import SessionCacheEpoch
from hub.cache import DegradingRedisCache, RedisAway

ENDED = "ended"
# A copy is written unless the session has ended; one read from the database does not
# replace a copy of the current generation (a save may have written it meanwhile).
_FILL = """
local current = redis.call('GET', KEYS[1])
if current then
  if current == 'ended' then return 0 end
  if ARGV[3] ~= '' and string.sub(current, 1, string.len(ARGV[3])) == ARGV[3] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""
# The generation, the session's copy, the copies of its user and of their membership
# (``hub.accounts.user_copies``), and the shared versions' tokens (``hub.versions``; KEYS[3]
# on), in one round trip: every signed-in request reads them all. A copy names its user
# between its end and its data; older copies, which do not, are read alone. Returns the
# generation, the session's copy, the user id it looked up (or nil) with that user's two
# copies, then the tokens.
# Given as bytes, a script needs no client to work out its digest.
_LOAD = Script(
    None,  # type: ignore[arg-type]
    b"""
local found = redis.call('MGET', unpack(KEYS))
local user_id, user, member = false, false, false
if found[2] and ARGV[1] ~= '' then
  user_id = string.match(found[2], '^[^|]*|[^|]*|(%d+)|') or false
  if user_id then
    user = redis.call('GET', ARGV[1] .. user_id)
    if ARGV[2] ~= '' then member = redis.call('GET', ARGV[2] .. user_id) end
  end
end
return {found[1], found[2], user_id, user, member, unpack(found, 3)}
""",
)
# Where user_copies keeps a user's copy and their membership's (the key is this and the
# user's id).
USER_COPY_PREFIX = "hub.users."
MEMBER_COPY_PREFIX = "hub.members."
# How long an ended session's marker outlives it: far longer than any request that read the
# session just before it ended.
_ENDED_SECONDS = 60 * 60

# The outage count (hub.cache.outages_seen) when this process last read the generation from
# the database. A process that has seen no outage believes the generation Redis holds.
_synced_after_outages = 0


# The copies of the user whose session this request read, and of their membership, each with
# the generation read alongside it (user id, generation, copy or None), until ``user_copies``
# takes it. Each load sets them afresh, so a thread never hands one request's read to the next.
_read_with_session: ContextVar[tuple[str, int, bytes | None] | None] = ContextVar(
    "hub_user_copy_read_with_session", default=None
)
_member_read_with_session: ContextVar[tuple[str, int, bytes | None] | None] = ContextVar(
    "hub_member_copy_read_with_session", default=None
)


def _taken(
    read: ContextVar[tuple[str, int, bytes | None] | None], user_id: object
) -> tuple[int, bytes | None] | None:
    found = read.get()
    if found is None or found[0] != str(user_id):
        return None
    read.set(None)
    return found[1], found[2]


def user_copy_read_with_session(user_id: object) -> tuple[int, bytes | None] | None:
    """The generation and the user's copy (None: no copy) as this request's session read
    them, once; None when the session was not read with this user's copy."""
    return _taken(_read_with_session, user_id)


def member_copy_read_with_session(user_id: object) -> tuple[int, bytes | None] | None:
    """The same for the copy of the user's membership."""
    return _taken(_member_read_with_session, user_id)


def _user_named(data: dict[str, Any]) -> str:
    """The signed-in user's id as a session's copy names it ("" for none)."""
    user_id = str(data.get(SESSION_KEY, ""))
    return user_id if user_id.isdigit() else ""


def _copy_prefix(cache: DegradingRedisCache, prefix: str) -> str:
    """The Redis key of id 0's copy under ``prefix`` without the 0; empty when keys are not
    built that way."""
    probe = cache.make_and_validate_key(f"{prefix}0")
    return probe[:-1] if probe.endswith(f"{prefix}0") else ""


def _epoch_seconds() -> int:
    return int(getattr(settings, "SESSION_CACHE_EPOCH_SECONDS", 2))


def _refresh_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "SESSION_REFRESH_AFTER", 300)))


def _epoch_from_database() -> int:
    value = SessionCacheEpoch.objects.filter(pk=1).values_list("value", flat=True).first()
    return value or 0


def move_epoch_on() -> None:
    """A copy on Redis may now be older than its row: believe no copy made before."""
    if not SessionCacheEpoch.objects.filter(pk=1).update(value=F("value") + 1):
        SessionCacheEpoch.objects.bulk_create(
            [SessionCacheEpoch(pk=1, value=1)], ignore_conflicts=True
        )


def epoch_key(cache: DegradingRedisCache) -> str:
    """The Redis key of the current generation, which copies of other rows may share."""
    return cache.make_and_validate_key(SessionStore.cache_key_prefix + "epoch")


def current_epoch(cache: DegradingRedisCache, raw_epoch: bytes | None) -> int:
    """The generation to believe, given what Redis held at ``epoch_key`` (None: nothing).

    Raises ``RedisAway`` when Redis cannot be told the generation read from the database."""
    global _synced_after_outages
    outages = hub_cache.outages_seen()
    if raw_epoch is not None and outages == _synced_after_outages:
        return int(raw_epoch)
    epoch = _epoch_from_database()
    key, seconds = epoch_key(cache), _epoch_seconds()
    cache.on_redis(lambda redis: redis.set(key, epoch, ex=seconds))
    _synced_after_outages = outages
    return epoch


class SessionStore(DatabaseSessionStore):
    cache_key_prefix = "hub.sessions."

    def __init__(self, session_key: str | None = None) -> None:
        cache = caches[getattr(settings, "SESSION_CACHE_ALIAS", "default")]
        self._redis_cache = cache if isinstance(cache, DegradingRedisCache) else None
        # When the session read was last pushed back to its full age (None: not read).
        self._stored_expiry: datetime.datetime | None = None
        # The generation read with the session, if it was read from Redis.
        self._epoch: int | None = None
        super().__init__(session_key)

    @property
    def cache_key(self) -> str:
        """The copy's key as the cache names it, so ``cache.delete(cache_key)`` drops it."""
        return self.cache_key_prefix + str(self._django._get_or_create_session_key())

    @property
    def _django(self) -> Any:
        """Django's own helpers on the store, which its type stubs do not declare."""
        return self

    def _redis_key(self, session_key: str) -> str:
        assert self._redis_cache is not None
        return self._redis_cache.make_and_validate_key(self.cache_key_prefix + session_key)

    def _epoch_key(self) -> str:
        assert self._redis_cache is not None
        return epoch_key(self._redis_cache)

    # --- Reading ---------------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        _read_with_session.set(None)
        _member_read_with_session.set(None)
        if self._redis_cache is None or not self.session_key:
            return self._load_from_database(epoch=None)
        cache = self._redis_cache
        key, epoch_key = self._redis_key(self.session_key), self._epoch_key()
        prefixes = [_copy_prefix(cache, USER_COPY_PREFIX), _copy_prefix(cache, MEMBER_COPY_PREFIX)]
        unread = versions.unread_in_request()
        keys = [epoch_key, key, *(cache.make_and_validate_key(each.key) for each in unread)]
        try:
            raw_epoch, raw_copy, looked_up, raw_user, raw_member, *tokens = cache.on_redis(
                lambda redis: cast(
                    list[bytes | None], _LOAD(keys=keys, args=prefixes, client=redis)
                )
            )
            epoch = self._current_epoch(raw_epoch)
        except RedisAway:
            return self._load_from_database(epoch=None)
        versions.read_with_session(
            {
                version: str(cache.loads(token))
                for version, token in zip(unread, tokens, strict=True)
                if token is not None
            }
        )
        self._epoch = epoch
        if raw_copy is not None:
            found = self._believed(raw_copy.decode(), epoch)
            if found is not None:
                if found and looked_up is not None:
                    _read_with_session.set((looked_up.decode(), epoch, raw_user))
                    _member_read_with_session.set((looked_up.decode(), epoch, raw_member))
                return found
        return self._load_from_database(epoch=epoch)

    def _current_epoch(self, raw_epoch: bytes | None) -> int:
        assert self._redis_cache is not None
        return current_epoch(self._redis_cache, raw_epoch)

    def _believed(self, copy: str, epoch: int) -> dict[str, Any] | None:
        if copy == ENDED:
            self._session_key = None
            return {}
        parts = copy.split("|", 3)
        # epoch|end|user id|data, or epoch|end|data as copies were written before.
        copy_epoch, expires_at, data = parts[0], parts[1], parts[-1]
        if int(copy_epoch) != epoch:
            return None
        expiry = datetime.datetime.fromtimestamp(int(expires_at), tz=datetime.UTC)
        if expiry <= timezone.now():
            self._session_key = None
            return {}
        self._stored_expiry = expiry
        return self._copied_data(data)

    def _copied_data(self, data: str) -> dict[str, Any]:
        # Copies hold the serializer's text; older ones hold the signed form the row holds.
        if data.startswith("{"):
            try:
                return cast(dict[str, Any], self.serializer().loads(data.encode("latin-1")))
            except ValueError:
                return {}
        return self.decode(data)

    def _copy_text(self, data: dict[str, Any]) -> str:
        """The session's data as its copy holds it: serialized but not signed, since
        whoever can write to this Redis can write users' copies too, and reading a signed
        copy cost more than a signed-in request's own work."""
        return cast(bytes, self.serializer().dumps(data)).decode("latin-1")

    def _load_from_database(self, *, epoch: int | None) -> dict[str, Any]:
        row = self._django._get_session_from_db()
        if row is None:
            return {}
        self._stored_expiry = row.expire_date
        data = self.decode(row.session_data)
        if epoch is not None:
            self._copy_to_redis(
                row.session_key,
                _user_named(data),
                self._copy_text(data),
                row.expire_date,
                epoch,
                fill=True,
            )
        return data

    def exists(self, session_key: str | None) -> bool:
        return session_key is not None and super().exists(session_key)

    # --- Writing ---------------------------------------------------------------------------

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            # create() picks a key and comes back here with must_create.
            self.create()
            return
        data = self._django._get_session(no_load=must_create)
        super().save(must_create)
        if self._redis_cache is None:
            return
        expiry = self.get_expiry_date()
        self._stored_expiry = expiry
        try:
            epoch = self._epoch
            if epoch is None:
                epoch_key = self._epoch_key()
                raw_epoch = self._redis_cache.on_redis(lambda redis: redis.get(epoch_key))
                epoch = self._current_epoch(cast(bytes | None, raw_epoch))
        except RedisAway:
            move_epoch_on()
            return
        self._copy_to_redis(
            self.session_key, _user_named(data), self._copy_text(data), expiry, epoch, fill=False
        )

    def _copy_to_redis(
        self,
        session_key: str,
        user_id: str,
        encoded: str,
        expiry: datetime.datetime,
        epoch: int,
        *,
        fill: bool,
    ) -> None:
        seconds = int((expiry - timezone.now()).total_seconds())
        if seconds <= 0:
            return
        copy = f"{epoch}|{int(expiry.timestamp())}|{user_id}|{encoded}"
        keys = [self._redis_key(session_key)]
        guard = f"{epoch}|" if fill else ""

        def write(redis: Redis) -> object:
            return redis.eval(_FILL, 1, *keys, copy, seconds, guard)

        assert self._redis_cache is not None
        try:
            self._redis_cache.on_redis(write)
        except RedisAway:
            if not fill:
                # The copy there, if any, is now older than the database's.
                move_epoch_on()

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        super().delete(session_key)
        if self._redis_cache is None:
            return
        key = self._redis_key(session_key)
        try:
            self._redis_cache.on_redis(lambda redis: redis.set(key, ENDED, ex=_ENDED_SECONDS))
        except RedisAway:
            move_epoch_on()

    # --- Keeping the idle timeout ---------------------------------------------------------

    def refresh_due(self) -> bool:
        """Whether the session's end was last pushed back long enough ago to push it again."""
        if self._stored_expiry is None:
            return False
        written_at = self._stored_expiry - datetime.timedelta(seconds=self.get_session_cookie_age())
        return timezone.now() - written_at >= _refresh_after()

    # The hub is served over WSGI; these keep an async caller on the same rules.
    async def aload(self) -> dict[str, Any]:
        return await sync_to_async(self.load)()

    async def asave(self, must_create: bool = False) -> None:
        await sync_to_async(self.save)(must_create)

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)

    async def aexists(self, session_key: str | None) -> bool:
        return await sync_to_async(self.exists)(session_key)
