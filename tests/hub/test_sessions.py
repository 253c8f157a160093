"""Sessions cost nothing when nothing changes: a signed-in page reads its session from Redis
and writes nothing; the end is pushed back only when it is due; the database stays the truth.

(tests/integration/test_session_copies_drill.py stops and hangs a real Redis of its own and
checks that a session ended meanwhile does not come back with it.)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import hub.cache
import hub.sessions
from hub.accounts.models import SignedInSession, User
from tests.hub.conftest import sign_in_with_password


@pytest.fixture(autouse=True)
def _redis_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(hub.cache, "_away_until", 0.0)
    monkeypatch.setattr(hub.cache, "_outages", 0)
    monkeypatch.setattr(hub.sessions, "_synced_after_outages", 0)
    yield


def _session_sql(queries: list[dict[str, str]]) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if "django_session" in query["sql"] or "hub_sessioncacheepoch" in query["sql"]
    ]


def _needs_redis() -> None:
    if not isinstance(caches["default"], hub.cache.DegradingRedisCache):
        pytest.skip("the session copies live on Redis")


@pytest.mark.django_db
def test_a_signed_in_page_reads_no_session_row_and_writes_nothing(
    client: Client, standard_user: User
) -> None:
    _needs_redis()
    sign_in_with_password(client, standard_user.email)
    assert client.get("/hub/").status_code == 200  # this process learns the generation
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/hub/")
    assert response.status_code == 200
    assert _session_sql(queries.captured_queries) == []
    assert settings.SESSION_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_without_a_copy_the_session_is_read_from_the_database_once(
    client: Client, standard_user: User
) -> None:
    _needs_redis()
    sign_in_with_password(client, standard_user.email)
    client.get("/hub/")
    caches["default"].delete(client.session.cache_key)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/hub/").status_code == 200
    reads = [sql for sql in _session_sql(queries.captured_queries) if "django_session" in sql]
    assert len(reads) == 1 and reads[0].startswith("SELECT")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/hub/").status_code == 200
    assert not [sql for sql in _session_sql(queries.captured_queries) if "django_session" in sql]


def _last_saved(key: str, ago: datetime.timedelta) -> datetime.datetime:
    """Make the session look last saved ``ago`` (its end moved back, the copy dropped)."""
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE) - ago
    Session.objects.filter(session_key=key).update(expire_date=expires)
    caches["default"].delete(hub.sessions.SessionStore(key).cache_key)
    return expires


@pytest.mark.django_db
def test_an_unchanged_session_is_saved_again_only_when_its_refresh_is_due(
    client: Client, standard_user: User
) -> None:
    sign_in_with_password(client, standard_user.email)
    key = client.session.session_key
    assert key
    refresh = datetime.timedelta(seconds=settings.SESSION_REFRESH_AFTER)
    assert refresh <= datetime.timedelta(minutes=5)

    recent = _last_saved(key, refresh - datetime.timedelta(seconds=30))
    response = client.get("/hub/")
    assert response.status_code == 200
    assert Session.objects.get(session_key=key).expire_date == recent
    assert settings.SESSION_COOKIE_NAME not in response.cookies

    _last_saved(key, refresh + datetime.timedelta(seconds=30))
    assert client.get("/hub/").status_code == 200
    full = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert Session.objects.get(session_key=key).expire_date > full - datetime.timedelta(minutes=1)


@pytest.mark.django_db
def test_a_session_ended_elsewhere_is_over_at_once_while_redis_answers(
    standard_user: User,
) -> None:
    laptop, phone = Client(), Client()
    sign_in_with_password(laptop, standard_user.email)
    sign_in_with_password(phone, standard_user.email)
    assert phone.get("/hub/").status_code == 200  # its copy is on Redis now
    assert laptop.post("/accounts/sessions/").status_code == 302  # "sign out everywhere else"
    assert phone.get("/hub/").status_code == 302
    assert laptop.get("/hub/").status_code == 200


@pytest.mark.django_db
def test_a_copy_read_just_before_the_session_ended_is_not_written_back(
    client: Client, standard_user: User
) -> None:
    """A request that read the row, then lost the race with a sign-out, leaves no copy."""
    _needs_redis()
    sign_in_with_password(client, standard_user.email)
    key = client.session.session_key
    assert key
    late = hub.sessions.SessionStore(key)
    caches["default"].delete(late.cache_key)
    row = Session.objects.get(session_key=key)
    hub.sessions.SessionStore(key).delete()  # signed out meanwhile
    late._copy_to_redis(key, "", row.session_data, row.expire_date, 0, fill=True)
    assert hub.sessions.SessionStore(key).load() == {}
    assert client.get("/hub/").status_code == 302


@pytest.mark.django_db
def test_staff_read_sessions_in_their_language_and_deleting_one_signs_it_out(
    admin_client: Client, admin_user: User, standard_user: User
) -> None:
    laptop, phone = Client(), Client()
    sign_in_with_password(laptop, standard_user.email)
    sign_in_with_password(phone, standard_user.email)
    assert phone.get("/hub/").status_code == 200
    phone_key = phone.session.session_key

    listing = admin_client.get("/admin/hub/signedinsession/").content.decode()
    assert listing.count(f">{standard_user.email}<") == 2
    assert "Last seen" in listing and "Device" in listing
    assert "User sessions" not in admin_client.get("/admin/").content.decode()
    assert admin_client.get("/admin/hub/signedinsession/add/").status_code == 403

    # Deleting the phone's session signs the phone out, and only the phone.
    phone_session = SignedInSession.objects.get(session_key=phone_key)
    ended = admin_client.post(
        "/admin/hub/signedinsession/",
        {"action": "delete_selected", "_selected_action": [phone_session.pk], "post": "yes"},
    )
    assert ended.status_code == 302
    assert phone.get("/hub/").status_code == 302
    assert laptop.get("/hub/").status_code == 200
    assert not Session.objects.filter(session_key=phone_key).exists()
    # One at a time from its own page, too.
    laptop_session = SignedInSession.objects.get(user=standard_user)
    admin_client.post(f"/admin/hub/signedinsession/{laptop_session.pk}/delete/", {"post": "yes"})
    assert laptop.get("/hub/").status_code == 302
    assert not SignedInSession.objects.filter(user=standard_user).exists()

    admin_user.preferred_language = "de"
    admin_user.save(update_fields=["preferred_language"])
    index = admin_client.get("/admin/").content.decode()
    assert "Angemeldete Sitzungen" in index
