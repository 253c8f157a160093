"""The customer's language, everywhere: chosen before sign-in, kept on the account, used by the
forms, the ticket and every email about it; names, dates and numbers as each language writes
them (CLDR)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import dateformat, translation
from hypothesis import given
from hypothesis import strategies as st

from hub.accounts.models import OutboundEmail, User
from hub.flow.contact_forms import country_choices
from routing.languages import language_label, language_name, support_language_choices
from routing.models import ProductArea, Weekday
from tests.hub import contact_world
from tests.hub.conftest import sign_in_with_password
from tests.hub.test_contact_forms import phone_data, url
from tickets.emails import email_language
from tickets.models import Channel, Ticket
from tickets.phones import phone_number_display

INTERFACE = [code for code, _label in settings.LANGUAGES if code != "en"]
# allauth's message after signing in, translated by allauth's catalogues (a name, so that the
# hub's catalogues, which hold only the hub's own strings, do not take it for one of theirs).
ALLAUTH_SIGNED_IN = "Successfully signed in as %(name)s."


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _selected_language(page: str) -> str:
    select = re.search(r'<select name="language"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the form has a support-language drop-down"
    chosen = re.search(r'<option value="(\w+)"[^>]*selected', select.group(1))
    assert chosen
    return chosen.group(1)


@pytest.mark.django_db(transaction=True)
def test_a_language_chosen_on_the_sign_in_page_carries_through_to_the_confirmation_email(
    client: Client, standard_user: User, product_areas: list[ProductArea]
) -> None:
    contact_world.open_world()
    assert standard_user.preferred_language == "en"
    assert client.post("/i18n/setlang/", {"language": "it", "next": "/"}).status_code == 302
    assert sign_in_with_password(client, standard_user.email).status_code == 302
    standard_user.refresh_from_db()
    assert standard_user.preferred_language == "it", "the account keeps the choice"

    area = product_areas[0]
    form = client.get(url(area, "phone"))
    assert _selected_language(form.content.decode()) == "it", "the call's language follows"

    answer = client.post(url(area, "phone"), phone_data(area, language="it"))
    assert answer.status_code == 302, answer.content.decode()[:1500]
    ticket = Ticket.objects.get(requester=standard_user, channel=Channel.PHONE)
    assert ticket.language == "it"
    [email] = mail.outbox
    assert "Abbiamo ricevuto" in email.body, email.body
    assert "+44 20 7946 0123" in email.body, "the number as people read it"
    html, _mimetype = email.alternatives[0]
    assert "+44 20 7946 0123" in str(html)


@pytest.mark.django_db
def test_without_a_choice_the_accounts_language_greets_the_user_after_sign_in(
    client: Client, standard_user: User
) -> None:
    # A German browser, an account in Italian, no language picked on the sign-in page.
    standard_user.preferred_language = "it"
    standard_user.save(update_fields=["preferred_language"])
    answer = sign_in_with_password(client, standard_user.email, HTTP_ACCEPT_LANGUAGE="de")
    assert answer.status_code == 302
    page = client.get(answer["Location"], HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="it"' in page
    messages = re.search(r'<div class="messages"[^>]*>(.*?)</div>', page, re.S)
    assert messages, "signing in says so"
    with translation.override("it"):
        italian = translation.gettext(ALLAUTH_SIGNED_IN)
    assert italian != ALLAUTH_SIGNED_IN
    assert italian.split("%(name)s")[0].strip() in messages.group(1), messages.group(1)
    standard_user.refresh_from_db()
    assert standard_user.preferred_language == "it", "the browser's language is no choice"


def test_emails_about_a_ticket_are_in_its_language_whatever_the_account_says() -> None:
    account = User(preferred_language="fr")
    assert email_language(Ticket(language="it", requester=account)) == "it"
    assert email_language(Ticket(language="fr", requester=account)) == "fr"
    assert email_language(Ticket(language="ja", requester=account)) == "ja"
    # A language the hub does not write (added to support before its catalogue): the account's.
    assert email_language(Ticket(language="sv", requester=account)) == "fr"


@pytest.mark.django_db
def test_a_password_reset_is_written_in_the_accounts_language(
    client: Client, standard_user: User
) -> None:
    standard_user.preferred_language = "fr"
    standard_user.save(update_fields=["preferred_language"])
    # Asked for from an English page.
    answer = client.post("/accounts/password/reset/", {"email": standard_user.email})
    assert answer.status_code == 302
    email = OutboundEmail.objects.get(to=[standard_user.email])
    assert "mot de passe" in email.subject.lower() + email.body.lower(), email.subject


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("it", "giovedì 3 dicembre 2026, 14:05"),
        ("fr", "jeudi 3 décembre 2026, 14:05"),
        ("en", "Thursday 3 December 2026, 14:05"),
    ],
)
def test_dates_read_as_each_language_writes_them_inside_a_sentence(
    language: str, expected: str
) -> None:
    with translation.override(language):
        moment = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
        assert dateformat.format(moment, "l j F Y, H:i") == expected


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_weekday_and_month_name_is_cldrs(day: date) -> None:
    for language in INTERFACE:
        with translation.override(language):
            ours = dateformat.format(day, "l j F Y")
        assert ours == format_date(day, "EEEE d MMMM y", locale=language)


def test_a_day_on_its_own_starts_with_a_capital() -> None:
    with translation.override("it"):
        assert str(Weekday.THURSDAY.label) == "Giovedì"
    with translation.override("fr"):
        assert str(Weekday.THURSDAY.label) == "Jeudi"


def test_no_template_title_cases_an_abbreviated_month() -> None:
    """Django's "M" writes "Déc" and "Dic" mid-sentence; "N" takes CLDR's "déc.", "dic"."""
    pattern = re.compile(r"""\|date:["'][^"']*M[^"']*["']""")
    offenders = [
        f"{path}: {match.group(0)}"
        for path in Path(settings.BASE_DIR, "templates").rglob("*.*")
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders


@pytest.mark.parametrize(
    ("interface", "code", "inside", "label"),
    [
        ("it", "it", "italiano", "Italiano"),
        ("it", "ja", "giapponese", "Giapponese"),
        ("fr", "fr", "français", "Français"),
        ("fr", "de", "allemand", "Allemand"),
        ("en", "pt", "Portuguese", "Portuguese"),
    ],
)
def test_language_names_are_the_interface_languages_own(
    interface: str, code: str, inside: str, label: str
) -> None:
    with translation.override(interface):
        assert language_name(code) == inside
        assert language_label(code) == label
        assert (code, label) in support_language_choices()


@pytest.mark.parametrize("language", ["en", *INTERFACE])
def test_the_country_list_names_every_region_and_shows_no_raw_code(language: str) -> None:
    choices = dict(country_choices(language))
    for region, label in choices.items():
        name = label.rsplit(" (+", 1)[0]
        assert name != region, f"{language}: {region} has no name"
    if language in {"en", "it", "fr", "de"}:
        assert choices["XK"].startswith("Kosovo")
        assert choices["TA"].startswith("Tristan da Cunha")


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+390612345678", "+39 06 1234 5678"),
        ("+442079460123", "+44 20 7946 0123"),
        ("+33142685300", "+33 1 42 68 53 00"),
        ("+81312345678", "+81 3-1234-5678"),
        ("not a number", "not a number"),
    ],
)
def test_a_number_is_shown_as_people_read_it(e164: str, shown: str) -> None:
    assert phone_number_display(e164) == shown
    assert Ticket(phone_number=e164).phone_number_display == shown
