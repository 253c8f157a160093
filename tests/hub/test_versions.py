"""Version tokens: one cache round trip per request, replaced at once and again at commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

import hub.cache
from hub.accounts.models import User
from hub.versions import SharedVersion, current_tokens
from routing.configuration import configuration_changed
from routing.models import ProductArea
from tests.hub.conftest import copy_markers_lapsed


@pytest.fixture
def versions() -> Iterator[tuple[SharedVersion, SharedVersion]]:
    first, second = SharedVersion("test:first-version"), SharedVersion("test:second-version")
    yield first, second
    cache.delete_many([first.key, second.key])


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []
    real_get, real_get_many = cache.get, cache.get_many

    def counted_get(key: str, *args: Any, **kwargs: Any) -> Any:
        asked.append("get")
        return real_get(key, *args, **kwargs)

    def counted_get_many(keys: list[str], *args: Any, **kwargs: Any) -> Any:
        asked.append("get_many")
        return real_get_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counted_get)
    monkeypatch.setattr(cache, "get_many", counted_get_many)
    return asked


@pytest.mark.django_db
def test_a_request_reads_several_tokens_in_one_round_trip_and_keeps_them(
    versions: tuple[SharedVersion, SharedVersion], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = versions
    known = current_tokens(first, second)  # outside a request: made if missing
    asked = _counting(monkeypatch)
    try:
        first.request_started()
        second.request_started()
        assert current_tokens(first, second) == known
        assert first.current() == known[0] and second.current() == known[1]
        assert asked == ["get_many"]
        # Another process changes the second between two requests.
        first.request_finished()
        second.request_finished()
        first.request_started()
        second.request_started()
        cache.set(second.key, "moved on elsewhere", None)
        assert current_tokens(first, second) == (known[0], "moved on elsewhere")
    finally:
        first.request_finished()
        second.request_finished()


@pytest.mark.django_db
def test_a_change_replaces_the_token_at_once_and_again_at_commit(
    versions: tuple[SharedVersion, SharedVersion],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first, _second = versions
    before = first.current()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first.changed()
        during = first.current()
        first.changed()  # more rows in the same transaction: still one replacement at commit
    assert during != before
    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    assert first.current() not in {before, during}


@pytest.mark.django_db
def test_a_token_the_cache_lost_is_replaced_by_a_new_one(
    versions: tuple[SharedVersion, SharedVersion],
) -> None:
    first, second = versions
    before = current_tokens(first, second)
    cache.delete(first.key)
    after = current_tokens(first, second)
    assert after[0] and after[0] != before[0] and after[1] == before[1]


def _round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command this process sends to Redis: through ``on_redis`` or the cache API."""
    sent = _counting(monkeypatch)
    on_redis = hub.cache.DegradingRedisCache.on_redis

    def counted(self: hub.cache.DegradingRedisCache, command: Any) -> Any:
        sent.append("on_redis")
        return on_redis(self, command)

    monkeypatch.setattr(hub.cache.DegradingRedisCache, "on_redis", counted)
    return sent


def _signed_in(client: Client, user: User) -> None:
    client.force_login(user)
    copy_markers_lapsed(user)


@pytest.mark.django_db
def test_a_signed_in_page_reads_the_tokens_with_its_session_in_one_round_trip(
    client: Client,
    standard_user: User,
    product_areas: list[ProductArea],
    monkeypatch: pytest.MonkeyPatch,
    redis_copies: None,
) -> None:
    _signed_in(client, standard_user)
    picker = "/hub/technical/areas/surveys-xm-directory/contact/"
    assert client.get(picker).status_code == 200
    sent = _round_trips(monkeypatch)
    assert client.get(picker).status_code == 200
    # The session, the user, the membership and the routing configuration's token.
    assert sent == ["on_redis"]


@pytest.mark.django_db
def test_a_configuration_changed_between_two_pages_is_read_afresh_by_the_second(
    client: Client, standard_user: User, product_areas: list[ProductArea]
) -> None:
    _signed_in(client, standard_user)
    area = "/hub/technical/areas/surveys-xm-directory/"
    assert client.get(area).status_code == 200
    ProductArea.objects.filter(slug="surveys-xm-directory").update(is_active=False)
    configuration_changed()
    assert client.get(area).status_code == 404
