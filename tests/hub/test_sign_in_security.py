"""Sign-in keeps its promises (shared/RELIABILITY.md 9-14): no enumeration, brute force slowed
without lock-outs, no open redirect, Argon2, sessions rotated, timed out and ended."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from hub import settings as production
from hub.accounts.models import User
from tests.conftest import PASSWORD
from tests.hub.conftest import sign_in_with_password
from tests.hub.hashers import CountingMD5PasswordHasher

NEW_PASSWORD = "a-brand-new-passphrase-2026"
TOO_MANY = "Too many failed attempts to sign in from here"


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _normalised(html: str, *typed: str) -> str:
    """The page with its per-render CSRF token and the typed login taken out."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html)
    for value in typed:
        html = html.replace(value, "LOGIN")
    return html


# --- No account enumeration --------------------------------------------------------------------


@pytest.fixture
def counting_hasher(settings: Any) -> type[CountingMD5PasswordHasher]:
    settings.PASSWORD_HASHERS = ["tests.hub.hashers.CountingMD5PasswordHasher"]
    CountingMD5PasswordHasher.calls = 0
    return CountingMD5PasswordHasher


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("nobody@acme.example", "whatever-it-is"),
        ("standard@acme.example", "not-the-password"),
        ("standard@acme.example", PASSWORD),
        ("no-such-username", "whatever-it-is"),
        ("sso@initrode.example", "whatever-it-is"),
        ("inactive@acme.example", PASSWORD),
    ],
    ids=["unknown", "wrong-password", "right-password", "unknown-username", "sso-only", "inactive"],
)
def test_every_sign_in_attempt_costs_exactly_one_password_hash(
    client: Client,
    counting_hasher: type[CountingMD5PasswordHasher],
    standard_user: User,
    sso_member: User,
    make_member: Callable[..., User],
    acme: object,
    login: str,
    password: str,
) -> None:
    inactive = make_member("inactive@acme.example", acme)
    inactive.is_active = False
    inactive.save()
    counting_hasher.calls = 0
    client.post("/accounts/login/password/", {"login": login, "password": password})
    assert counting_hasher.calls == 1


@pytest.mark.django_db
def test_a_known_and_an_unknown_email_get_the_same_page(standard_user: User) -> None:
    known = Client().post(
        "/accounts/login/password/", {"login": standard_user.email, "password": "not-it-1234"}
    )
    unknown = Client().post(
        "/accounts/login/password/", {"login": "nobody@acme.example", "password": "not-it-1234"}
    )
    assert known.status_code == unknown.status_code == 200
    assert _normalised(known.content.decode(), standard_user.email) == _normalised(
        unknown.content.decode(), "nobody@acme.example"
    )


@pytest.mark.django_db
def test_the_first_question_answers_the_same_for_known_and_unknown_emails(
    standard_user: User,
) -> None:
    known = Client().post("/accounts/login/", {"login": standard_user.email})
    unknown = Client().post("/accounts/login/", {"login": "nobody@acme.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/login/password/"


@pytest.mark.django_db
def test_a_password_reset_answers_the_same_and_mails_from_a_task_for_both(
    standard_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    answers = []
    for email in [standard_user.email, "nobody@acme.example"]:
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post("/accounts/password/reset/", {"email": email})
        answers.append((response.status_code, response["Location"]))
    assert answers[0] == answers[1] == (302, "/accounts/password/reset/done/")
    assert [message.to for message in mail.outbox] == [
        [standard_user.email],
        ["nobody@acme.example"],
    ]
    assert mail.outbox[0].subject == mail.outbox[1].subject
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "there is no account with this address" in mail.outbox[1].body


@pytest.mark.django_db
def test_a_reset_asked_for_an_sso_member_explains_there_is_no_password_to_reset(
    sso_member: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password/reset/", {"email": sso_member.email})
    assert len(mail.outbox) == 1
    assert "Initrode signs in with single sign-on" in mail.outbox[0].body
    assert "http://testserver/accounts/login/" in mail.outbox[0].body


# --- Rate limits -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_repeated_wrong_passwords_pause_that_account_from_that_address_only(
    standard_user: User,
) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(5):
        attacker.post(
            "/accounts/login/password/", {"login": standard_user.email, "password": "guess-1234"}
        )
    paused = attacker.post(
        "/accounts/login/password/", {"login": standard_user.email, "password": PASSWORD}
    )
    assert TOO_MANY in paused.content.decode() and not _signed_in(attacker)

    owner = Client(REMOTE_ADDR="198.51.100.7")
    response = sign_in_with_password(owner, standard_user.email)
    assert response.status_code == 302 and _signed_in(owner)


@pytest.mark.django_db
def test_many_failures_from_one_address_pause_every_account_there(
    standard_user: User, brand_admin: User
) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(10):
        attacker.post(
            "/accounts/login/password/",
            {"login": f"guess{number}@acme.example", "password": "guess-1234"},
        )
    response = attacker.post(
        "/accounts/login/password/", {"login": brand_admin.email, "password": PASSWORD}
    )
    assert TOO_MANY in response.content.decode() and not _signed_in(attacker)


@pytest.mark.django_db
def test_a_flood_of_sign_in_requests_gets_a_polite_429(db: None) -> None:
    client = Client(REMOTE_ADDR="203.0.113.20")
    statuses = [
        client.post("/accounts/login/", {"login": f"p{n}@acme.example"}).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [302] * 30
    last = client.post("/accounts/login/", {"login": "p@acme.example"})
    assert last.status_code == 429
    assert "Too many attempts to sign in" in last.content.decode()


@pytest.mark.django_db
def test_two_customers_behind_the_one_proxy_are_rate_limited_separately(
    standard_user: User, brand_admin: User, settings: Any
) -> None:
    # docker-compose.yml: one proxy (the TLS-terminating load balancer) in front of web, which
    # appends the address it saw. Every request reaches gunicorn from that proxy's address.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for number in range(10):
        attacker.post(
            "/accounts/login/password/",
            {"login": f"guess{number}@acme.example", "password": "guess-1234"},
        )
    paused = attacker.post(
        "/accounts/login/password/", {"login": brand_admin.email, "password": PASSWORD}
    )
    assert TOO_MANY in paused.content.decode() and not _signed_in(attacker)
    # Another customer through the same proxy is not paused with the attacker; a forged
    # address put first in the header by the client changes nothing.
    customer = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    response = sign_in_with_password(customer, standard_user.email)
    assert response.status_code == 302 and _signed_in(customer)


# --- No open redirect --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "evil",
    ["//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example", "http:evil"],
)
def test_sign_in_never_sends_anyone_to_another_site(
    client: Client, standard_user: User, evil: str
) -> None:
    response = sign_in_with_password(client, standard_user.email, next_url=evil)
    assert response.status_code == 302 and response["Location"] == "/hub/"


@pytest.mark.django_db
@pytest.mark.parametrize("evil", ["//evil.example", "https://evil.example", "/\\evil.example"])
def test_a_one_step_sign_in_never_sends_anyone_to_another_site(
    client: Client, standard_user: User, evil: str
) -> None:
    response = client.post(
        "/accounts/login/", {"login": standard_user.email, "password": PASSWORD, "next": evil}
    )
    assert response["Location"] == "/hub/"


@pytest.mark.django_db
def test_sign_in_comes_back_to_the_page_asked_for(client: Client, standard_user: User) -> None:
    response = sign_in_with_password(client, standard_user.email, next_url="/hub/?step=team")
    assert response["Location"] == "/hub/?step=team"


@pytest.mark.django_db
def test_the_password_step_keeps_the_next_page_through_the_first_question(client: Client) -> None:
    response = client.post("/accounts/login/", {"login": "a@acme.example", "next": "/hub/x/"})
    assert response["Location"] == "/accounts/login/password/?next=%2Fhub%2Fx%2F"
    page = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/hub/x/"' in page


@pytest.mark.django_db
def test_an_unsafe_next_page_is_dropped_before_the_password_step(client: Client) -> None:
    response = client.post("/accounts/login/", {"login": "a@acme.example", "next": "//evil"})
    assert response["Location"] == "/accounts/login/password/"


# --- Passwords -----------------------------------------------------------------------------------


def test_production_hashes_passwords_with_argon2_first() -> None:
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert Argon2PasswordHasher().encode("correct horse", "saltsaltsalt").startswith("argon2$")


def test_production_asks_for_twelve_characters_and_no_common_password() -> None:
    validators: list[dict[str, Any]] = production.AUTH_PASSWORD_VALIDATORS  # type: ignore[assignment]
    names = [validator["NAME"] for validator in validators]
    assert "django.contrib.auth.password_validation.CommonPasswordValidator" in names
    length = next(v for v in validators if "MinimumLength" in v["NAME"])
    assert length["OPTIONS"]["min_length"] == 12


# --- Sessions ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signing_in_rotates_the_session_key(client: Client, standard_user: User) -> None:
    client.post("/accounts/login/", {"login": standard_user.email})
    before = client.session.session_key
    assert before
    client.post("/accounts/login/password/", {"login": standard_user.email, "password": PASSWORD})
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_production_cookies_are_secure_http_only_and_same_site() -> None:
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SESSION_COOKIE_HTTPONLY
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    assert production.SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 365


@pytest.mark.django_db
def test_the_session_cookie_is_http_only_and_ends_with_the_browser(
    client: Client, standard_user: User
) -> None:
    response = sign_in_with_password(client, standard_user.email)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]


def _session_ends_at(key: str, when: datetime.datetime) -> None:
    """Move a session's end, in the database and in the cache copy cached_db keeps."""
    Session.objects.filter(session_key=key).update(expire_date=when)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    if hasattr(store, "cache_key"):
        caches[settings.SESSION_CACHE_ALIAS].delete(store.cache_key)


@pytest.mark.django_db
def test_an_idle_session_times_out_and_an_active_one_does_not(
    client: Client, standard_user: User
) -> None:
    sign_in_with_password(client, standard_user.email)
    key = client.session.session_key
    idle_limit = datetime.timedelta(seconds=production.SESSION_COOKIE_AGE)
    assert idle_limit == datetime.timedelta(hours=8)
    # Active: every request moves the end eight hours ahead again.
    _session_ends_at(key, timezone.now() + datetime.timedelta(minutes=5))
    assert client.get("/hub/").status_code == 200
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + idle_limit - datetime.timedelta(minutes=1)
    # Idle past the limit: the session is over.
    _session_ends_at(key, timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/hub/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    standard_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    laptop, phone = Client(), Client()
    sign_in_with_password(laptop, standard_user.email)
    sign_in_with_password(phone, standard_user.email)
    phone_key = phone.session.session_key
    with django_capture_on_commit_callbacks(execute=True):
        response = laptop.post(
            "/accounts/password/change/",
            {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
    assert response.status_code == 302
    assert laptop.get("/hub/").status_code == 200
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert phone.get("/hub/").status_code == 302
    assert any("password" in message.subject.lower() for message in mail.outbox)


@pytest.mark.django_db
def test_resetting_the_password_ends_every_session(
    standard_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    laptop = Client()
    sign_in_with_password(laptop, standard_user.email)
    stranger = Client()
    with django_capture_on_commit_callbacks(execute=True):
        stranger.post("/accounts/password/reset/", {"email": standard_user.email})
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+)", str(mail.outbox[0].body)
    )
    assert link is not None
    form_page = stranger.get(link.group(1), follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    response = stranger.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert laptop.get("/hub/").status_code == 302
    assert sign_in_with_password(Client(), standard_user.email, NEW_PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_sessions_page_signs_out_everywhere_else(standard_user: User) -> None:
    laptop, phone = Client(), Client()
    sign_in_with_password(laptop, standard_user.email)
    sign_in_with_password(phone, standard_user.email)
    page = laptop.get("/accounts/sessions/").content.decode()
    assert page.count("<tr>") == 3  # the heading row and two sessions
    laptop.post("/accounts/sessions/")
    assert phone.get("/hub/").status_code == 302 and laptop.get("/hub/").status_code == 200


# --- The other doors ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_signs_in_through_the_hubs_own_sign_in_page(client: Client) -> None:
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"


@pytest.mark.django_db
def test_a_member_is_not_let_into_the_admin(client: Client, standard_user: User) -> None:
    client.force_login(standard_user)
    assert client.get("/admin/login/").status_code == 403


@pytest.mark.django_db
def test_nobody_signs_themselves_up(client: Client) -> None:
    response = client.get("/accounts/signup/")
    assert "Accounts are made by invitation" in response.content.decode()


@pytest.mark.django_db
def test_members_cannot_change_their_own_email_address(client: Client, standard_user: User) -> None:
    client.force_login(standard_user)
    assert client.get("/accounts/email/").status_code == 404


@pytest.mark.django_db
def test_a_signed_in_user_visiting_sign_in_goes_to_the_hub(
    client: Client, standard_user: User
) -> None:
    client.force_login(standard_user)
    assert client.get("/accounts/login/")["Location"] == "/hub/"
    assert client.get("/fedramp/login/password/")["Location"] == "/hub/"


@pytest.mark.django_db
def test_the_password_step_without_a_first_answer_goes_back_to_the_question(client: Client) -> None:
    assert client.get("/accounts/login/password/")["Location"] == "/accounts/login/"
    assert client.get("/fedramp/login/password/")["Location"] == "/fedramp/login/"


@pytest.mark.django_db
def test_an_empty_answer_shows_the_error_summary(client: Client) -> None:
    html = client.post("/accounts/login/", {"login": "  "}).content.decode()
    assert "<title>Error:" in html and "There is a problem" in html
    assert 'href="#id_login"' in html and "Enter your email address or username" in html
