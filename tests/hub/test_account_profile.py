"""The account page: a member sets their own name, interface language and time zone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from hub.accounts.models import User
from hub.accounts.services import user_profile_update

URL = "/accounts/profile/"


def _form(**overrides: str) -> dict[str, str]:
    return {
        "first_name": "Sam",
        "last_name": "Rossi",
        "preferred_language": "it",
        "time_zone": "America/New_York",
        **overrides,
    }


def _main(response: Any) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.django_db
def test_the_header_menu_leads_to_the_account_page(client: Client, standard_user: User) -> None:
    client.force_login(standard_user)
    html = client.get("/hub/").content.decode()
    menu = html[html.index('<details class="user-menu"') : html.index("</details>")]
    assert f'href="{URL}"' in menu and "Your account" in menu


@pytest.mark.django_db
def test_the_account_page_shows_the_name_email_language_zone_and_security_links(
    client: Client, standard_user: User
) -> None:
    standard_user.time_zone = "Europe/Rome"
    standard_user.save()
    client.force_login(standard_user)
    response = client.get(URL)
    assert response.status_code == 200
    main = _main(response)
    assert "<h1>Your account</h1>" in main
    assert standard_user.email in main and 'name="email"' not in main
    assert f'name="first_name" value="{standard_user.first_name}"' in main
    assert re.search(r'<option value="en" selected>English</option>', main)
    assert '<option value="it">Italiano</option>' in main
    assert '<option value="Europe/Rome" selected>Europe/Rome</option>' in main
    assert '<option value="America/New_York">America/New York</option>' in main
    assert 'href="/accounts/password/change/"' in main
    assert 'href="/accounts/sessions/"' in main
    # The browser's zone is offered by a static script; without it, the list is enough.
    assert "js/account.js" in response.content.decode()
    assert "data-browser-zone" in main and "<script>" not in main


@pytest.mark.django_db
def test_saving_the_account_page_changes_language_and_zone_at_once(
    client: Client, standard_user: User
) -> None:
    client.force_login(standard_user)
    # An older choice from the footer's switcher must not outrank the new one.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/hub/"})
    response = client.post(URL, _form())
    assert response.status_code == 302 and response["Location"] == URL
    standard_user.refresh_from_db()
    assert (standard_user.first_name, standard_user.last_name) == ("Sam", "Rossi")
    assert standard_user.preferred_language == "it"
    assert standard_user.time_zone == "America/New_York"
    page = client.get(URL).content.decode()
    assert 'lang="it"' in page
    assert "America/New_York" in page[page.index("<footer") :]
    assert "Sam Rossi" in page[page.index("<header") : page.index("</header>")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus_Mons", "Choose a time zone from the list"),
        ("preferred_language", "xx", "Choose a language from the list"),
        ("first_name", "  ", "Enter your first name"),
        ("last_name", "x" * 151, "Your last name must be 150 characters or fewer"),
    ],
)
def test_a_bad_value_is_explained_and_nothing_changes(
    client: Client, standard_user: User, field: str, value: str, message: str
) -> None:
    before = User.objects.values().get(pk=standard_user.pk)
    client.force_login(standard_user)
    response = client.post(URL, _form(**{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<title>Error: Your account", html)
    assert "There is a problem" in html
    assert f'<a href="#id_{field}">{message}</a>' in html
    # The typed values stay.
    assert 'value="Rossi"' in html or field == "last_name"
    after = User.objects.values().get(pk=standard_user.pk)
    assert {k: v for k, v in after.items() if k != "last_login"} == {
        k: v for k, v in before.items() if k != "last_login"
    }


@pytest.mark.django_db
def test_the_service_checks_every_value_and_saves_nothing_when_one_is_wrong(
    standard_user: User,
) -> None:
    with pytest.raises(ValidationError) as refused:
        user_profile_update(
            user=standard_user,
            first_name="Robin",
            last_name="Rossi",
            preferred_language="it",
            time_zone="Nowhere/Land",
        )
    assert set(refused.value.message_dict) == {"time_zone"}
    standard_user.refresh_from_db()
    assert standard_user.first_name != "Robin" and standard_user.preferred_language == "en"
    saved = user_profile_update(
        user=standard_user,
        first_name=" Sam ",
        last_name="",
        preferred_language="fr",
        time_zone="Asia/Kolkata",
    )
    assert (saved.first_name, saved.preferred_language, saved.time_zone) == (
        "Sam",
        "fr",
        "Asia/Kolkata",
    )


@pytest.mark.django_db
def test_the_account_page_asks_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"
