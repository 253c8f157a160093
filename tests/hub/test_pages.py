"""The frame every page shares, through the plain test client (JavaScript off)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.template import engines
from django.test import Client

from hub.accounts.models import Organisation, User
from tests.conftest import PASSWORD


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_hub_home_sends_anonymous_visitors_to_sign_in_and_back(client: Client) -> None:
    response = client.get("/hub/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/hub/"


@pytest.mark.smoke
@pytest.mark.django_db
def test_the_sign_in_page_has_the_frame_and_a_strict_policy(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="en"' in html
    assert "Contact Support" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "<script>" not in html and "style=" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_member_signs_in_with_email_and_password_and_sees_their_organisation(
    client: Client, standard_user: User
) -> None:
    response = client.post(
        "/accounts/login/", {"login": standard_user.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/hub/"
    assert "Acme Research" in response.content.decode()
    assert "How can we help?" in response.content.decode()


@pytest.mark.django_db
def test_a_wrong_password_keeps_the_email_and_shows_an_error_summary(
    client: Client, standard_user: User
) -> None:
    response = client.post("/accounts/login/", {"login": standard_user.email, "password": "nope"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "<title>Error:" in html
    assert f'value="{standard_user.email}"' in html


@pytest.mark.django_db
def test_the_hub_is_shown_in_the_users_language_and_time_zone(
    client: Client, make_member: object, acme: object
) -> None:
    user = make_member(  # type: ignore[operator]
        "rome@acme.example", acme, preferred_language="it", time_zone="Europe/Rome"
    )
    client.force_login(user)
    html = client.get("/hub/").content.decode()
    assert 'lang="it"' in html
    assert "Europe/Rome" in html


@pytest.mark.django_db
def test_switching_language_is_remembered_on_the_account(
    client: Client, standard_user: User
) -> None:
    client.force_login(standard_user)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/hub/"})
    assert response.status_code == 302 and response["Location"] == "/hub/"
    standard_user.refresh_from_db()
    assert standard_user.preferred_language == "fr"


@pytest.mark.django_db
def test_switching_to_an_unknown_language_changes_nothing(
    client: Client, standard_user: User
) -> None:
    client.force_login(standard_user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/hub/"})
    standard_user.refresh_from_db()
    assert standard_user.preferred_language == "en"


@pytest.mark.django_db
def test_the_frame_drawn_once_per_language_and_role_gives_each_reader_their_own(
    client: Client, standard_user: User, agent: User
) -> None:
    # The links and the language list are drawn once per process; an agent's page drawn
    # first must not lend its admin links to a member, nor one language its words to another.
    client.force_login(agent)
    staff_page = client.get("/accounts/profile/").content.decode()
    assert "Agents’ admin" in staff_page and "Queue board" in staff_page
    client.force_login(standard_user)
    member_page = client.get("/accounts/profile/").content.decode()
    assert "Agents’ admin" not in member_page and "Queue board" not in member_page
    assert "Your account" in member_page and "Change password" in member_page
    assert '<option value="en" lang="en" selected>' in member_page
    standard_user.preferred_language = "de"
    standard_user.save(update_fields=["preferred_language"])
    german_page = client.get("/accounts/profile/").content.decode()
    assert 'lang="de"' in german_page
    assert '<option value="de" lang="de" selected>' in german_page
    assert '<option value="en" lang="en" selected>' not in german_page


def _csrf_tokens(html: str) -> list[str]:
    header = re.findall(r'hx-headers=\'\{"X-CSRFToken": "([^"]*)"\}\'', html)
    return header + re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)


@pytest.mark.django_db
def test_the_frame_drawn_once_shows_each_request_its_own_reader_token_and_address(
    make_member: Callable[..., User], acme: Organisation
) -> None:
    # The frame's parts are drawn once per language, zone and role, with the reader's name,
    # address, CSRF token and the page's address put in on every request.
    plain = make_member(
        "rome@acme.example", acme, first_name="Giulia", last_name="Rossi", time_zone="Europe/Rome"
    )
    odd = make_member(
        "odd@acme.example", acme, first_name="<b>Ann", last_name='&amp; Co"', time_zone="Asia/Tokyo"
    )
    pages = {}
    for user in (plain, odd):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        html = client.get("/support/", {"q": 'quotes " and <tags>'}).content.decode()
        pages[user.email] = html
        tokens = _csrf_tokens(html)
        # The header's, the sign-out form's and the language form's: all this request's.
        assert len(tokens) == 3 and len(set(tokens)) == 1 and tokens[0]
        # The token works: signing out with it is accepted, as the form would post it.
        response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens[0]})
        assert response.status_code == 302
    rome, tokyo = pages["rome@acme.example"], pages["odd@acme.example"]
    assert '<span class="user-menu__name">Giulia Rossi</span>' in rome
    assert '<span class="user-menu__email">rome@acme.example</span>' in rome
    assert "Times are shown in Europe/Rome." in rome and "Asia/Tokyo" not in rome
    assert (
        '<span class="user-menu__name">&lt;b&gt;Ann &amp;amp; Co&quot;</span>' in tokyo
    ) and "<b>Ann" not in tokyo
    assert '<span class="user-menu__email">odd@acme.example</span>' in tokyo
    assert "Times are shown in Asia/Tokyo." in tokyo and "Giulia" not in tokyo
    assert '<input name="next" type="hidden" value="/support/?q=quotes+%22+and+%3Ctags%3E">' in rome
    assert _csrf_tokens(rome)[0] != _csrf_tokens(tokyo)[0]


@pytest.mark.django_db
def test_an_anonymous_page_after_a_signed_in_one_has_no_account_menu(
    client: Client, standard_user: User
) -> None:
    client.force_login(standard_user)
    assert "user-menu__name" in client.get("/support/").content.decode()
    anonymous = Client().get("/accounts/login/").content.decode()
    assert "user-menu" not in anonymous and standard_user.email not in anonymous
    assert '<a href="/accounts/login/">Sign in</a>' in anonymous
    assert len(set(_csrf_tokens(anonymous))) == 1


def test_the_frame_drawn_without_a_request_has_no_token_field() -> None:
    # A page drawn without a request has no CSRF token: no empty token field is left in
    # its forms, and a page drawn afterwards with a token gets its own.
    page = engines["django"].from_string(
        '{% extends "base.html" %}{% block content %}x{% endblock %}'
    )
    alone = page.render({})
    assert "csrfmiddlewaretoken" not in alone and "\x00" not in alone
    assert 'hx-headers=\'{"X-CSRFToken": ""}\'' in alone
    with_token = Client().get("/accounts/login/").content.decode()
    assert len(set(_csrf_tokens(with_token))) == 1 and _csrf_tokens(with_token)[0]
