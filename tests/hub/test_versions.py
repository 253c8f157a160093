"""Version tokens: one cache round trip per request, replaced at once and again at commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from hub.versions import SharedVersion, current_tokens


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
