"""Sessions ended while Redis was away stay ended when it comes back (hub/sessions.py).

A Redis of the test's own holds the sessions' copies. It is stopped (and, separately, hung
with SIGSTOP) while a customer signs out, changes their password (ending their other
sessions) or signs in again (a new key); every page still answers without a 5xx. Redis then
comes back with its old copies (append-only file, or simply woken), and none of the ended
sessions opens a page again: not in this process, which saw the outage, nor in one that was
idle through it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

import hub.cache
import hub.sessions
from hub.accounts.models import User
from tests.conftest import PASSWORD
from tests.hub.conftest import sign_in_with_password

from .conftest import SpareRedis, redis_call

pytestmark = pytest.mark.integration

AWAY_SECONDS = 0.5
EPOCH_SECONDS = 1
NEW_PASSWORD = "a-brand-new-passphrase-2026"


@pytest.fixture
def sessions_on(spare_redis: SpareRedis, monkeypatch: pytest.MonkeyPatch) -> Iterator[SpareRedis]:
    caches = {
        "default": {
            "BACKEND": "hub.cache.DegradingRedisCache",
            "LOCATION": spare_redis.url,
            "KEY_PREFIX": "hub",
            "AWAY_SECONDS": AWAY_SECONDS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    monkeypatch.setattr(hub.cache, "_away_until", 0.0)
    monkeypatch.setattr(hub.cache, "_outages", 0)
    monkeypatch.setattr(hub.sessions, "_synced_after_outages", 0)
    hub.cache._FALLBACK.clear()
    with override_settings(CACHES=caches, SESSION_CACHE_EPOCH_SECONDS=EPOCH_SECONDS):
        yield spare_redis
    hub.cache._FALLBACK.clear()


def _copy_on_redis(redis: SpareRedis, session_key: str) -> str:
    key = f"hub:1:{hub.sessions.SessionStore.cache_key_prefix}{session_key}"
    return redis_call(redis, "GET", key)


def _client_with(session_key: str) -> Client:
    """Someone still holding an old session cookie."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def _back(redis: SpareRedis, how: str) -> None:
    if how == "stopped":
        redis.start()
    else:
        redis.wake()
    time.sleep(AWAY_SECONDS + 0.2)  # past the pause the outage started


def _away(redis: SpareRedis, how: str) -> None:
    if how == "stopped":
        redis.stop()
    else:
        redis.hang()


def _signed_in(user: User) -> tuple[Client, str]:
    client = Client()
    sign_in_with_password(client, user.email)
    assert client.get("/hub/").status_code == 200
    key = client.session.session_key
    assert key
    return client, key


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["stopped", "hung"])
@pytest.mark.parametrize("witness", ["this process", "a process idle through the outage"])
def test_sessions_ended_while_redis_was_away_do_not_come_back_with_it(
    sessions_on: SpareRedis,
    standard_user: User,
    brand_admin: User,
    how: str,
    witness: str,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    redis = sessions_on
    laptop, laptop_key = _signed_in(standard_user)
    phone, phone_key = _signed_in(standard_user)
    tablet, tablet_key = _signed_in(standard_user)
    # A colleague halfway through signing in: the address is given, the password not yet.
    kiosk = Client()
    assert kiosk.post("/accounts/login/", {"login": brand_admin.email}).status_code == 302
    kiosk_key = kiosk.session.session_key
    assert kiosk_key
    for key in (laptop_key, phone_key, tablet_key, kiosk_key):
        assert _copy_on_redis(redis, key).split("|")[0].isdigit()

    _away(redis, how)
    try:
        # Signed in pages still answer from the database.
        assert phone.get("/hub/").status_code == 200
        # The tablet signs out; the kiosk finishes signing in (under a new key, the old one
        # ended); the laptop changes the password, which ends every other session (the
        # phone's).
        assert tablet.post("/accounts/logout/").status_code == 302
        password_step = {"login": brand_admin.email, "password": PASSWORD}
        assert kiosk.post("/accounts/login/password/", password_step).status_code == 302
        assert kiosk.session.session_key != kiosk_key
        with django_capture_on_commit_callbacks(execute=True):
            changed = laptop.post(
                "/accounts/password/change/",
                {"oldpassword": PASSWORD, "password1": NEW_PASSWORD,
                 "password2": NEW_PASSWORD},
            )  # fmt: skip
        assert changed.status_code == 302, changed.content[:300]
        assert phone.get("/hub/").status_code == 302
        assert laptop.get("/hub/").status_code == 200
    finally:
        _back(redis, how)

    if witness != "this process":
        # Served by a process that never found Redis away: it believes the generation Redis
        # holds, which Redis keeps for EPOCH_SECONDS at a time (the outage lasted longer).
        hub.sessions._synced_after_outages = hub.cache.outages_seen()
    # Redis is back with the copies it had: the stale ones are still there...
    for key in (phone_key, tablet_key, kiosk_key):
        assert _copy_on_redis(redis, key) not in ("", "ended"), key
    # ...and none of them comes back.
    for key in (phone_key, tablet_key, kiosk_key):
        assert hub.sessions.SessionStore(key).load() == {}, key
        assert _client_with(key).get("/hub/").status_code == 302, key
    # The sessions that live on are read from Redis again.
    assert laptop.get("/hub/").status_code == 200
    assert kiosk.get("/hub/").status_code == 200
    for client in (laptop, kiosk):
        assert _copy_on_redis(redis, client.session.session_key or "").split("|")[0].isdigit()
