"""A signed-in page reads its user from a copy on Redis; a changed user is never read from an
older copy, whatever the order of the reads and the change."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import hub.cache
import hub.sessions
from hub.accounts import user_copies
from hub.accounts.models import User
from hub.sessions import move_epoch_on
from tests.hub.conftest import copy_markers_lapsed

pytestmark = pytest.mark.usefixtures("redis_copies")


def _signed_in_with_a_copy(client: Client, user: User) -> None:
    """Signed in, with the user's copy written by a first page."""
    client.force_login(user)
    copy_markers_lapsed(user)
    client.get("/hub/")


def _user_queries(client: Client, path: str = "/hub/") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return sum(1 for query in queries.captured_queries if 'FROM "hub_user"' in query["sql"])


def _from_database(user_id: object) -> User | None:
    return User.objects.filter(pk=user_id).first()


@pytest.mark.django_db
def test_after_a_first_read_the_user_comes_from_its_copy(
    client: Client, standard_user: User
) -> None:
    client.force_login(standard_user)
    copy_markers_lapsed(standard_user)
    assert _user_queries(client) == 1
    assert _user_queries(client) == 0


@pytest.mark.django_db
def test_signing_in_again_keeps_the_copy(client: Client, standard_user: User) -> None:
    # Signing in saves only last_login: the next session's pages read no user row either.
    copy_markers_lapsed(standard_user)
    client.force_login(standard_user)
    assert _user_queries(client) == 1
    other = Client()
    other.force_login(standard_user)
    assert _user_queries(other) == 0
    assert _user_queries(client) == 0


@pytest.mark.django_db
def test_a_deactivated_user_is_signed_out_at_the_next_request(
    client: Client, standard_user: User
) -> None:
    _signed_in_with_a_copy(client, standard_user)
    assert _user_queries(client) == 0
    standard_user.is_active = False
    standard_user.save()
    response = client.get("/hub/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_a_read_from_before_a_change_does_not_put_the_old_row_back(standard_user: User) -> None:
    def read_then_changed_meanwhile(user_id: object) -> User | None:
        row = _from_database(user_id)
        # Another request renames the user after this one read the row.
        User.objects.filter(pk=user_id).update(first_name="Renamed")
        user_copies.user_changed(user_id)
        return row

    copy_markers_lapsed(standard_user)
    old = user_copies.user_read(standard_user.pk, read_then_changed_meanwhile)
    assert old is not None and old.first_name != "Renamed"
    again = user_copies.user_read(standard_user.pk, _from_database)
    assert again is not None and again.first_name == "Renamed"


@pytest.mark.django_db
def test_a_copy_from_an_older_generation_is_not_believed(standard_user: User) -> None:
    copy_markers_lapsed(standard_user)
    user_copies.user_read(standard_user.pk, _from_database)
    # Rows changed while Redis could not be told: the generation moves on.
    User.objects.filter(pk=standard_user.pk).update(last_name="Changed while away")
    move_epoch_on()
    cache.delete("hub.sessions.epoch")
    found = user_copies.user_read(standard_user.pk, _from_database)
    assert found is not None and found.last_name == "Changed while away"


@pytest.mark.django_db
def test_with_redis_away_the_user_is_read_from_the_database(
    standard_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub.cache, "_away_until", float("inf"))
    calls: list[object] = []

    def counted(user_id: object) -> User | None:
        calls.append(user_id)
        return _from_database(user_id)

    assert user_copies.user_read(standard_user.pk, counted) == standard_user
    assert user_copies.user_read(standard_user.pk, counted) == standard_user
    assert len(calls) == 2


def _round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the commands this process sends to Redis itself (one per ``on_redis``)."""
    sent: list[int] = []
    on_redis = hub.cache.DegradingRedisCache.on_redis

    def counted(self: hub.cache.DegradingRedisCache, command: object) -> object:
        sent.append(1)
        return on_redis(self, command)  # type: ignore[arg-type]

    monkeypatch.setattr(hub.cache.DegradingRedisCache, "on_redis", counted)
    return sent


@pytest.mark.django_db
def test_the_session_and_its_user_are_read_in_one_round_trip(
    client: Client, standard_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _signed_in_with_a_copy(client, standard_user)
    sent = _round_trips(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accounts/profile/").status_code == 200
    user_reads = [q for q in queries.captured_queries if 'FROM "hub_user"' in q["sql"]]
    assert user_reads == []
    # The page's own cache reads go through the cache API; the session and the user, through
    # on_redis, and together.
    assert len(sent) == 1


@pytest.mark.django_db
def test_a_user_changed_after_the_copy_was_read_with_the_session_is_read_again_next_time(
    client: Client, standard_user: User
) -> None:
    _signed_in_with_a_copy(client, standard_user)
    assert _user_queries(client) == 0
    standard_user.first_name = "Renamed"
    standard_user.save()
    response = client.get("/accounts/profile/")
    assert response.status_code == 200
    assert "Renamed" in response.content.decode()


def _session_copy_of(
    client: Client, user: User
) -> tuple[hub.cache.DegradingRedisCache, str, hub.sessions.SessionStore]:
    """Signed in with a copy of the session on Redis: the cache, the copy's Redis key, and
    the session's store."""
    _signed_in_with_a_copy(client, user)
    store = hub.sessions.SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    redis_cache = caches["default"]
    assert isinstance(redis_cache, hub.cache.DegradingRedisCache)
    return redis_cache, redis_cache.make_and_validate_key(store.cache_key), store


@pytest.mark.django_db
def test_a_session_copy_written_before_it_named_its_user_is_still_read(
    client: Client, standard_user: User
) -> None:
    redis_cache, key, _store = _session_copy_of(client, standard_user)
    copy = redis_cache.on_redis(lambda redis: redis.get(key))
    epoch, end, user_id, data = copy.decode().split("|", 3)
    assert user_id == str(standard_user.pk)
    # As copies were written before they named their user: epoch|end|data.
    redis_cache.on_redis(lambda redis: redis.set(key, f"{epoch}|{end}|{data}", keepttl=True))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/hub/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert _user_queries(client) == 0


@pytest.mark.django_db
def test_a_session_copy_holds_its_data_unsigned_and_a_signed_copy_is_still_read(
    client: Client, standard_user: User
) -> None:
    redis_cache, key, store = _session_copy_of(client, standard_user)
    copy = redis_cache.on_redis(lambda redis: redis.get(key))
    epoch, end, user_id, data = copy.decode().split("|", 3)
    assert json.loads(data)["_auth_user_id"] == str(standard_user.pk)

    def page_reads_no_session_row() -> bool:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/hub/")
        assert response.status_code == 200  # still signed in
        return not [q for q in queries.captured_queries if "django_session" in q["sql"]]

    # As copies were written before: the data signed, as the session's row holds it.
    signed = store.encode(json.loads(data))
    redis_cache.on_redis(
        lambda redis: redis.set(key, f"{epoch}|{end}|{user_id}|{signed}", keepttl=True)
    )
    assert page_reads_no_session_row()

    # A copy that does not parse signs nobody in.
    redis_cache.on_redis(lambda redis: redis.set(key, f"{epoch}|{end}|{user_id}|{{", keepttl=True))
    response = client.get("/hub/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_user_copy_read_with_one_session_is_handed_over_once_and_only_for_its_user() -> None:
    hub.sessions._read_with_session.set(("7", 3, b"copy"))
    assert hub.sessions.user_copy_read_with_session(8) is None
    assert hub.sessions.user_copy_read_with_session(7) == (3, b"copy")
    assert hub.sessions.user_copy_read_with_session(7) is None
