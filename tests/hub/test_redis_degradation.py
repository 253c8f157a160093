"""shared/RELIABILITY.md 7a, in process: with Redis away, the cache degrades, sessions do not
notice, rate limits stay in force, and a publish that fails never reaches the customer.

(tests/integration/test_redis_outage_drill.py does the same through gunicorn and a real,
stopped and hung, redis-server.)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from allauth.core import ratelimit
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError

import hub.cache
from hub.accounts.models import OutboundEmail, User
from tests.conftest import PASSWORD
from tickets import services, tasks
from tickets.models import Channel, Team, Ticket

# Port 1 on loopback refuses at once: a Redis that is down.
DEAD_REDIS = {
    "default": {
        "BACKEND": "hub.cache.DegradingRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "KEY_PREFIX": "hub",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
    # The layout's fragments live in each process's memory, Redis or not.
    "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}


@pytest.fixture(autouse=True)
def _fresh_redis_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(hub.cache, "_away_until", 0.0)
    monkeypatch.setattr(services, "_broker_paused_until", 0.0)
    hub.cache._FALLBACK.clear()
    yield
    hub.cache._FALLBACK.clear()


def test_sessions_live_in_the_database_with_a_copy_on_redis() -> None:
    assert settings.SESSION_ENGINE == "hub.sessions"


def test_the_hubs_caches_keep_any_key_without_memcacheds_warnings() -> None:
    from django.core.cache import caches
    from django.core.cache.backends.base import CacheKeyWarning

    ours = [
        alias
        for alias in ("default", "fragments")
        if isinstance(caches[alias], hub.cache.KeysUncheckedMixin)
    ]
    assert "fragments" in ours
    key = "a key memcached would refuse: spaces, é, and " + "x" * 300
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for alias in ours:
            caches[alias].set(key, alias, 30)
            assert caches[alias].get(key) == alias
            caches[alias].delete(key)


def test_every_redis_client_has_short_timeouts() -> None:
    if issubclass(
        import_string(settings.CACHES["default"]["BACKEND"]), hub.cache.DegradingRedisCache
    ):
        options = settings.CACHES["default"]["OPTIONS"]
        assert options["socket_connect_timeout"] <= 1 and options["socket_timeout"] <= 1
    broker = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert broker["socket_connect_timeout"] <= 1 and broker["socket_timeout"] <= 2
    assert broker["max_retries"] == 0 and broker["retry_on_timeout"] is False
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1
    assert settings.CELERY_TASK_PUBLISH_RETRY is False


@override_settings(CACHES=DEAD_REDIS)
def test_the_cache_answers_from_local_memory_while_redis_is_down() -> None:
    from django.core.cache import cache

    assert cache.get("anything") is None  # a miss, not an error
    cache.set("key", "value", 30)
    assert cache.get("key") == "value"
    assert cache.add("lock", True, 10) is True
    assert cache.add("lock", True, 10) is False  # allauth's lock still excludes
    assert hub.cache.redis_is_away()
    started = time.monotonic()
    for _ in range(100):
        cache.get("key")
    assert time.monotonic() - started < 0.5, "Redis is left alone while it is away"


@override_settings(CACHES=DEAD_REDIS)
@pytest.mark.django_db
def test_rate_limits_stay_in_force_while_redis_is_down() -> None:
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.9")
    allowed = [
        ratelimit.consume(request, action="login_failed", key="someone@example.com")
        for _ in range(6)
    ]
    assert allowed == [True] * 5 + [False]


@override_settings(CACHES=DEAD_REDIS)
@pytest.mark.django_db
def test_a_customer_signs_in_and_browses_while_redis_is_down(standard_user: User) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "standard@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/hub/").status_code == 200


@pytest.fixture
def publishing() -> Iterator[None]:
    """Tasks are published (as in production), not run in this process."""
    conf = tasks.send_ticket_confirmation.app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = False
    yield
    conf.task_always_eager = saved


@pytest.mark.django_db
def test_a_publish_that_fails_leaves_the_ticket_to_the_sweeper_and_pauses_the_broker(
    publishing: None,
    standard_user: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    attempts: list[tuple[Any, ...]] = []

    def unreachable(*args: Any) -> None:
        attempts.append(args)
        raise OperationalError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(tasks.send_waiting_confirmations, "delay", unreachable)

    def submit(subject: str) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            return services.ticket_create(
                requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject=subject
            )

    first, second = submit("First"), submit("Second")  # neither raises into the request
    assert len(attempts) == 1, "after a failure the broker is left alone for a while"
    assert Ticket.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    # The sweeper sends both once Redis is back.
    later = timezone.now() + timedelta(minutes=5)
    assert services.outbox_sweep(now=later)["confirmed"] == 2
    assert OutboundEmail.objects.filter(purpose="confirmation").count() == 2
