"""The frame every page shares, through the plain test client (JavaScript off)."""

from __future__ import annotations

import pytest
from django.test import Client

from hub.accounts.models import User
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
