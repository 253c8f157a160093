"""The contact forms: email, phone callback, conference call.

Every form: the happy path, its bad inputs (a clear error next to the field, the typed
values kept, nothing saved), a method outside the licence posted by hand (404, nothing
saved), a double submit (one ticket), pinned query counts, and a hypothesis fuzz
(``from_form``) that never gets a 500 and never leaves a half-saved ticket.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_form

from hub.accounts.models import LicenceTier, Organisation, User
from hub.flow.contact_forms import (
    ConferenceRequestForm,
    EmailRequestForm,
    PhoneRequestForm,
    default_country,
    slot_value,
)
from routing.models import Agent, ProductArea
from routing.selectors import conference_slots_for
from tests.conftest import SESSION_QUERIES, connections_waiting_on_a_lock
from tests.hub import contact_world
from tickets.models import (
    Attachment,
    CallbackRequest,
    Channel,
    ConferenceBooking,
    Team,
    Ticket,
    WaitQuote,
)
from tickets.services import CallbackTaken, callback_details_change, conference_book

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
ROME_NUMBER = "+39 06 1234 5678"
ROME_E164 = "+390612345678"


def url(area: ProductArea, form: str, query: str = "") -> str:
    return f"/hub/technical/areas/{area.slug}/contact/{form}/{query}"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return contact_world.open_world()


@pytest.fixture
def signed_in(client: Client, standard_user: User, world: list[Agent]) -> Client:
    client.force_login(standard_user)
    return client


def key() -> str:
    return uuid.uuid4().hex


def phone_data(for_area: ProductArea, **changes: Any) -> dict[str, Any]:
    data = {
        "idempotency_key": key(),
        "area": for_area.slug,
        "language": "en",
        "country": "GB",
        "number": "020 7946 0123",
        "extension": "",
        "email": "standard@acme.example",
        "subject": "The survey link shows an error",
        "recording_consent": "on",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def email_data(**changes: Any) -> dict[str, Any]:
    data = {
        "idempotency_key": key(),
        "language": "en",
        "subject": "Export fails",
        "description": "The CSV export stops at 80 % and never finishes.",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def html_text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def assert_error_page(response: Any, message: str) -> None:
    text = html_text(response)
    assert response.status_code == 200
    assert "<title>Error:" in text
    assert 'class="error-summary"' in text and "data-autofocus" in text
    assert message in text


# --- Phone callback (R-PHONE) --------------------------------------------------------------


def test_phone_form_offers_countries_a_tel_box_the_account_email_and_consent_ticked(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    response = signed_in.get(url(surveys_area, "phone"))
    text = html_text(response)
    assert response.status_code == 200
    assert '<option value="GB" selected data-calling-code="44" data-main-country>' in text
    assert (
        '<option value="IT" data-calling-code="39" data-main-country>Italy (+39)</option>' in text
    )
    assert 'type="tel"' in text and 'autocomplete="tel"' in text
    assert 'value="standard@acme.example"' in text
    assert re.search(r'name="recording_consent"[^>]*checked', text)
    assert not re.search(r'name="account_access"[^>]*checked', text)
    assert 'hx-get="/hub/technical/areas/surveys-xm-directory/contact/phone/wait/"' in text
    assert 'id="phone-wait" class="wait-panel__body" aria-live="polite"' in text
    assert "About 1 minute for a callback in English." in text


def test_the_default_country_follows_the_time_zone_then_the_language(
    make_member: Callable[..., User], acme: Organisation
) -> None:
    assert default_country(make_member("a@acme.example", acme, time_zone="Europe/Rome")) == "IT"
    assert default_country(make_member("b@acme.example", acme, time_zone="America/Denver")) == "US"
    assert default_country(make_member("c@acme.example", acme, time_zone="UTC")) == "GB"
    assert (
        default_country(
            make_member("d@acme.example", acme, time_zone="UTC", preferred_language="fr")
        )
        == "FR"
    )


def test_standard_user_asks_for_a_callback_with_a_number_typed_with_its_plus_code(
    signed_in: Client,
    surveys_area: ProductArea,
    standard_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            url(surveys_area, "phone"),
            phone_data(surveys_area, country="GB", number=ROME_NUMBER, extension="12"),
        )
    ticket = Ticket.objects.get(requester=standard_user)
    assert response.status_code == 302
    assert response["Location"] == f"/hub/requests/{ticket.number}/"
    assert ticket.channel == Channel.PHONE
    assert ticket.team == Team.TECHNICAL
    assert ticket.phone_number == ROME_E164
    assert ticket.phone_extension == "12"
    # R-PHONE: the subject is what the history shows as the description.
    assert ticket.subject == ticket.description == "The survey link shows an error"
    assert ticket.recording_consent is True
    assert ticket.account_access_allowed is False
    assert ticket.product_area == surveys_area
    assert ticket.callback_due_at is None
    ticket.refresh_from_db()
    assert ticket.queued_at is not None  # queued by the task once the ticket is committed


@pytest.mark.parametrize(
    "typed",
    ["(020) 7946-0123", "020 7946 0123", "+44 20 7946 0123", "0044 20 7946 0123", "02079460123"],
)
def test_spaces_brackets_dashes_and_a_leading_plus_are_all_fine(
    signed_in: Client, surveys_area: ProductArea, standard_user: User, typed: str
) -> None:
    response = signed_in.post(url(surveys_area, "phone"), phone_data(surveys_area, number=typed))
    assert response.status_code == 302
    assert Ticket.objects.get(requester=standard_user).phone_number == "+442079460123"


def test_a_number_that_is_wrong_for_the_country_is_refused_next_to_the_field(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    response = signed_in.post(
        url(surveys_area, "phone"),
        phone_data(surveys_area, country="IT", number="07700 900123", subject="Keep me"),
    )
    assert_error_page(response, "Enter a valid phone number for Italy, like 02 1234 5678.")
    text = html_text(response)
    assert 'href="#id_number"' in text
    assert 'aria-invalid="true" aria-describedby="id_number_helptext id_number_error"' in text
    assert 'value="07700 900123"' in text and 'value="Keep me"' in text
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number": ""}, "Enter the phone number we should call"),
        ({"number": "call me maybe"}, "Enter a phone number using only digits"),
        ({"extension": "12a"}, "Enter the extension using digits only"),
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"subject": "   "}, "Enter a subject"),
        ({"subject": "x" * 201}, "Subject must be 200 characters or fewer"),
        ({"country": "XX"}, "Choose a country from the list"),
        ({"language": "xx"}, "Choose a language from the list"),
        ({"area": "xm-discover"}, "Choose a product area from the list"),
        ({"idempotency_key": "not-a-key"}, "This form has expired"),
        ({"idempotency_key": None}, "This form has expired"),
    ],
)
def test_bad_phone_answers_get_a_clear_error_and_save_nothing(
    signed_in: Client, surveys_area: ProductArea, changes: dict[str, Any], message: str
) -> None:
    response = signed_in.post(url(surveys_area, "phone"), phone_data(surveys_area, **changes))
    assert_error_page(response, message)
    assert not Ticket.objects.exists()


def test_an_expired_form_comes_back_with_a_fresh_key(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    response = signed_in.post(
        url(surveys_area, "phone"), phone_data(surveys_area, idempotency_key="stale")
    )
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', html_text(response))


def test_a_valid_number_is_shown_back_in_its_international_format(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    response = signed_in.post(
        url(surveys_area, "phone"),
        phone_data(surveys_area, country="GB", number="+390612345678", subject=""),
    )
    text = html_text(response)
    assert 'value="+39 06 1234 5678"' in text
    assert (
        '<option value="IT" selected data-calling-code="39" data-main-country>Italy (+39)</option>'
        in text
    )


def test_a_post_without_the_consent_fields_never_counts_as_consent(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    data = phone_data(surveys_area)
    del data["recording_consent"]
    signed_in.post(url(surveys_area, "phone"), data)
    ticket = Ticket.objects.get(requester=standard_user)
    assert ticket.recording_consent is False
    assert ticket.account_access_allowed is False


def test_a_double_click_or_a_retried_post_makes_one_callback(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    data = phone_data(surveys_area)
    first = signed_in.post(url(surveys_area, "phone"), data)
    second = signed_in.post(url(surveys_area, "phone"), data)
    assert first["Location"] == second["Location"]
    assert Ticket.objects.filter(requester=standard_user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_phone_form_at_once_both_end_on_its_one_callback(
    standard_user: User, surveys_area: ProductArea
) -> None:
    """A double click sends the second POST while the first is still being written: the
    second waits on the first's key, then must answer with its ticket, not an error."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time, so the two never overlap")
    contact_world.open_world()
    data = phone_data(surveys_area)
    answers: dict[str, Any] = {}
    first_written = threading.Event()

    def signed_in_client() -> Client:
        client = Client()
        client.force_login(standard_user)
        return client

    def first() -> None:
        client = signed_in_client()
        try:
            # Held open until the second POST waits on this ticket's key, then committed.
            with transaction.atomic():
                answers["first"] = client.post(url(surveys_area, "phone"), data)
                first_written.set()
                deadline = time.monotonic() + 10
                while not connections_waiting_on_a_lock() and time.monotonic() < deadline:
                    time.sleep(0.02)
        finally:
            first_written.set()
            connections.close_all()

    def second() -> None:
        client = signed_in_client()
        first_written.wait(10)
        try:
            answers["second"] = client.post(url(surveys_area, "phone"), data)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            answers["second"] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    ticket = Ticket.objects.get(requester=standard_user)
    assert answers["first"].status_code == 302
    assert not isinstance(answers["second"], Exception), answers["second"]
    assert answers["second"].status_code == 302
    assert answers["first"]["Location"] == answers["second"]["Location"]
    assert ticket.number in answers["second"]["Location"]
    assert WaitQuote.objects.filter(ticket=ticket).count() == 1
    assert CallbackRequest.objects.filter(ticket=ticket).count() == 1


def test_the_wait_follows_the_language_and_the_area_through_htmx(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    wait_url = url(surveys_area, "phone/wait")
    italian = signed_in.get(
        f"{wait_url}?language=it&area={surveys_area.slug}", HTTP_HX_REQUEST="true"
    )
    text = html_text(italian)
    assert "About 48 minutes for a callback in Italian." in text
    assert "In English: about 1 minute." in text
    # The dialog of R-FALLBACK is redrawn out of band, now suggesting English.
    assert 'id="fallback-dialog"' in text and 'data-suggest="true"' in text
    assert 'hx-swap-oob="true"' in text
    other_area = signed_in.get(f"{wait_url}?language=it&area=cx-dashboards", HTTP_HX_REQUEST="true")
    assert "About 1 minute for a callback in Italian." in html_text(other_area)
    assert 'data-suggest="false"' in html_text(other_area)


def test_the_wait_address_without_htmx_leads_back_to_the_form(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    response = signed_in.get(url(surveys_area, "phone/wait", "?language=it"))
    assert response.status_code == 302
    assert response["Location"] == url(surveys_area, "phone", "?language=it")


def test_outside_italian_hours_the_callback_is_scheduled_for_the_opening(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    contact_world.italian_closed()
    page = html_text(signed_in.get(url(surveys_area, "phone", "?language=it")))
    assert "Phone support in Italian is closed now. We will call you back from" in page
    assert "In English: about 1 minute." in page
    response = signed_in.post(
        url(surveys_area, "phone"),
        phone_data(surveys_area, language="it", english_choice_made="True"),
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(requester=standard_user)
    assert ticket.language == "it"
    assert ticket.callback_due_at is not None and ticket.callback_due_at > timezone.now()
    assert ticket.queued_at is None  # beat queues it when Italian opens


def test_each_country_carries_its_calling_code_for_the_number_box(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    # contact.js reads these to put "+39 " into the number box, and to find the country of
    # a "+39" typed by hand (the main country of a code shared by several is marked).
    text = html_text(signed_in.get(url(surveys_area, "phone")))
    assert '<select name="country" data-phone-country' in text
    assert '<option value="VA" data-calling-code="39">' in text
    assert '<option value="US" data-calling-code="1" data-main-country>' in text
    assert '<option value="CA" data-calling-code="1">' in text


def test_without_javascript_update_the_wait_redraws_it_and_keeps_every_answer(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    before = Ticket.objects.count()
    page = html_text(signed_in.get(url(surveys_area, "phone")))
    assert 'name="update_wait" value="1"' in page and "Update the wait" in page
    data = phone_data(
        surveys_area,
        language="it",
        country="IT",
        number="06 1234",  # half typed: not checked yet
        subject="Kept subject",
        recording_consent=None,
        account_access="on",
        update_wait="1",
    )
    response = signed_in.post(url(surveys_area, "phone"), data)
    text = html_text(response)
    assert response.status_code == 200
    assert "About 48 minutes for a callback in Italian." in text
    assert "<title>Error:" not in text and 'class="error-summary"' not in text
    assert '<option value="it" selected>' in text
    assert 'value="06 1234"' in text and 'value="Kept subject"' in text
    assert '<option value="IT" selected data-calling-code="39" data-main-country>' in text
    assert re.search(r'name="account_access"[^>]*checked', text)
    assert not re.search(r'name="recording_consent"[^>]*checked', text)
    assert f'name="idempotency_key" value="{data["idempotency_key"]}"' in text
    assert Ticket.objects.count() == before


def test_update_the_wait_follows_another_area(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    data = phone_data(surveys_area, language="it", area="cx-dashboards", update_wait="1")
    text = html_text(signed_in.post(url(surveys_area, "phone"), data))
    assert "About 1 minute for a callback in Italian." in text
    assert 'action="/hub/technical/areas/cx-dashboards/contact/phone/"' in text


# --- After the request: the confirmation shows the call, and changes it while it waits -----


@pytest.fixture
def callback_ticket(
    signed_in: Client,
    surveys_area: ProductArea,
    standard_user: User,
    django_capture_on_commit_callbacks: Any,
) -> Ticket:
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(
            url(surveys_area, "phone"),
            phone_data(surveys_area, country="IT", number="0612345678", extension="12"),
        )
    return Ticket.objects.get(requester=standard_user)


def test_the_confirmation_shows_the_number_as_it_reads_and_the_language_of_the_call(
    signed_in: Client, callback_ticket: Ticket
) -> None:
    text = html_text(signed_in.get(f"/hub/requests/{callback_ticket.number}/"))
    assert "<dt>Number we will call</dt><dd>+39 06 1234 5678, extension 12</dd>" in text
    assert "<dt>Language of the call</dt><dd>English</dd>" in text
    change = f'href="/hub/requests/{callback_ticket.number}/callback/"'
    assert f"{change}>Change the number or the language</a>" in text


def test_a_waiting_callback_gets_another_number_and_language_and_keeps_its_place(
    signed_in: Client, callback_ticket: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    change_url = f"/hub/requests/{callback_ticket.number}/callback/"
    page = html_text(signed_in.get(change_url))
    assert "<h1>Change your callback</h1>" in page
    assert 'value="+39 06 1234 5678"' in page and 'value="12"' in page
    assert '<option value="IT" selected data-calling-code="39" data-main-country>' in page
    enqueued_at = callback_ticket.callback.enqueued_at
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            change_url,
            {"country": "GB", "number": "+44 20 7946 0123", "extension": "", "language": "it"},
        )
    assert response.status_code == 302
    assert response["Location"] == f"/hub/requests/{callback_ticket.number}/"
    callback_ticket.refresh_from_db()
    assert (callback_ticket.phone_number, callback_ticket.phone_extension) == ("+442079460123", "")
    assert callback_ticket.language == "it"
    callback = CallbackRequest.objects.get(ticket=callback_ticket)
    assert (callback.language, callback.enqueued_at) == ("it", enqueued_at)
    confirmation = html_text(signed_in.get(response["Location"]))
    assert "Your callback has been changed." in confirmation
    assert "<dd>+44 20 7946 0123</dd>" in confirmation and "<dd>Italian</dd>" in confirmation


def test_a_new_language_that_is_closed_now_is_called_when_it_opens(
    signed_in: Client, callback_ticket: Ticket
) -> None:
    contact_world.italian_closed()
    response = signed_in.post(
        f"/hub/requests/{callback_ticket.number}/callback/",
        {"country": "IT", "number": "06 1234 5678", "language": "it"},
    )
    assert response.status_code == 302
    callback_ticket.refresh_from_db()
    assert callback_ticket.callback_due_at is not None
    assert callback_ticket.callback_due_at > timezone.now()
    assert callback_ticket.queued_at is None  # out of the queue until Italian opens
    assert not CallbackRequest.objects.filter(ticket=callback_ticket).exists()


def test_a_bad_number_on_the_change_form_is_refused_next_to_the_field(
    signed_in: Client, callback_ticket: Ticket
) -> None:
    response = signed_in.post(
        f"/hub/requests/{callback_ticket.number}/callback/",
        {"country": "IT", "number": "12", "language": "en"},
    )
    assert_error_page(response, "Enter a valid phone number for Italy")
    callback_ticket.refresh_from_db()
    assert callback_ticket.phone_number == "+390612345678"


def test_a_callback_an_agent_has_taken_can_no_longer_be_changed(
    signed_in: Client, callback_ticket: Ticket, world: list[Agent]
) -> None:
    agent = User.objects.create_user(username="ana", email="ana@hub.example", is_staff=True)
    CallbackRequest.objects.filter(ticket=callback_ticket).update(
        taken_at=timezone.now(), taken_by=agent
    )
    change_url = f"/hub/requests/{callback_ticket.number}/callback/"
    refused = "An agent has already taken this callback, so it can no longer be changed."
    assert refused in html_text(signed_in.get(change_url))
    posted = signed_in.post(change_url, {"country": "GB", "number": "020 7946 0123"})
    assert refused in html_text(posted) and 'name="number"' not in html_text(posted)
    callback_ticket.refresh_from_db()
    assert callback_ticket.phone_number == "+390612345678"
    confirmation = html_text(signed_in.get(f"/hub/requests/{callback_ticket.number}/"))
    assert "Change the number or the language" not in confirmation


def test_only_the_requester_may_change_a_callback(
    client: Client, callback_ticket: Ticket, brand_admin: User
) -> None:
    client.force_login(brand_admin)
    response = client.get(f"/hub/requests/{callback_ticket.number}/callback/")
    assert response.status_code == 404


def test_the_service_refuses_a_change_once_the_callback_is_taken(
    callback_ticket: Ticket, standard_user: User
) -> None:
    CallbackRequest.objects.filter(ticket=callback_ticket).update(taken_at=timezone.now())
    with pytest.raises(CallbackTaken):
        callback_details_change(
            ticket=callback_ticket,
            by=standard_user,
            phone_number="+442079460123",
            phone_extension="",
            language="en",
            callback_due_at=None,
        )


# --- The English fallback (R-FALLBACK), without JavaScript ---------------------------------


def test_without_javascript_thin_cover_shows_the_choice_as_a_page(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    before = Ticket.objects.count()
    data = phone_data(surveys_area, language="it", number=ROME_NUMBER, country="IT")
    page = signed_in.post(url(surveys_area, "phone"), data)
    text = html_text(page)
    assert page.status_code == 200
    assert "Get help sooner in English?" in text
    assert "<dt>Italian</dt> <dd>about 48 minutes</dd>" in text
    assert "<dt>English</dt> <dd>about 1 minute</dd>" in text
    assert "+39 06 1234 5678" in text
    assert '<button type="submit" class="button" name="language" value="en">' in text
    assert 'name="language" value="it">Wait for Italian</button>' in text
    assert f'name="idempotency_key" value="{data["idempotency_key"]}"' in text
    assert Ticket.objects.count() == before  # nothing yet: the user has not chosen

    # The page resubmits the same answers with the language chosen and the choice made.
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text))
    carried.pop("csrfmiddlewaretoken")
    chosen = signed_in.post(url(surveys_area, "phone"), {**carried, "language": "en"})
    again = signed_in.post(url(surveys_area, "phone"), {**carried, "language": "en"})
    assert chosen.status_code == 302 and again["Location"] == chosen["Location"]
    ticket = Ticket.objects.get(idempotency_key=data["idempotency_key"])
    assert ticket.language == "en"
    assert ticket.phone_number == ROME_E164
    assert ticket.recording_consent is True


def test_choosing_to_wait_for_the_language_keeps_it(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    data = phone_data(surveys_area, language="it", english_choice_made="True")
    response = signed_in.post(url(surveys_area, "phone"), data)
    assert response.status_code == 302
    assert Ticket.objects.get(idempotency_key=data["idempotency_key"]).language == "it"


# --- Methods outside the licence, by hand-crafted POST --------------------------------------


@pytest.fixture
def self_service_user(make_member: Callable[..., User], make_organisation: Any) -> User:
    organisation = make_organisation("Tiny Co", licence_tier=LicenceTier.SELF_SERVICE)
    return make_member("me@tiny.example", organisation)


def test_a_method_outside_the_licence_is_refused_and_saves_nothing(
    client: Client,
    world: list[Agent],
    surveys_area: ProductArea,
    self_service_user: User,
    standard_user: User,
    fedramp_user: User,
) -> None:
    client.force_login(self_service_user)
    assert client.get(url(surveys_area, "phone")).status_code == 404
    assert client.post(url(surveys_area, "phone"), phone_data(surveys_area)).status_code == 404
    for user in (standard_user, fedramp_user, self_service_user):
        client.force_login(user)
        assert client.get(url(surveys_area, "conference")).status_code == 404
        posted = client.post(url(surveys_area, "conference"), {"subject": "x", "slot": "x"})
        assert posted.status_code == 404
    assert not Ticket.objects.exists()


def test_conference_calls_are_refused_for_areas_that_do_not_have_them(
    client: Client, world: list[Agent], seat_holder: User, product_areas: list[ProductArea]
) -> None:
    client.force_login(seat_holder)
    accessibility = ProductArea.objects.get(slug="accessibility")
    assert client.get(url(accessibility, "conference")).status_code == 404


def test_anonymous_visitors_sign_in_first_and_strangers_get_404(
    client: Client, world: list[Agent], surveys_area: ProductArea, agent: User
) -> None:
    response = client.get(url(surveys_area, "phone"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(agent)  # staff, no organisation
    assert client.get(url(surveys_area, "email")).status_code == 404


def test_the_discover_area_has_no_forms(
    signed_in: Client, product_areas: list[ProductArea]
) -> None:
    discover = ProductArea.objects.get(redirects_to_discover=True)
    for form in ("email", "phone", "conference"):
        assert signed_in.get(url(discover, form)).status_code == 404


# --- Email ---------------------------------------------------------------------------------


def test_an_email_request_with_attachments_makes_one_ticket_with_its_files(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    def files() -> list[SimpleUploadedFile]:
        return [
            SimpleUploadedFile("screen.png", PNG, content_type="text/html"),
            SimpleUploadedFile("export.log", b"2026-07-14 ERROR timeout\n", content_type="x/y"),
        ]

    data = email_data()
    response = signed_in.post(url(surveys_area, "email"), {**data, "attachments": files()})
    ticket = Ticket.objects.get(requester=standard_user)
    assert response.status_code == 302
    assert response["Location"] == f"/hub/requests/{ticket.number}/"
    assert (ticket.channel, ticket.team, ticket.language) == (Channel.EMAIL, Team.TECHNICAL, "en")
    stored = {a.original_name: a for a in ticket.attachments.all()}
    assert {name: a.content_type for name, a in stored.items()} == {
        "screen.png": "image/png",  # what the bytes say, not what the browser said
        "export.log": "text/plain",
    }
    assert all((a.file.name or "").startswith("attachments/") for a in stored.values())
    assert stored["screen.png"].file.read() == PNG

    retried = signed_in.post(url(surveys_area, "email"), {**data, "attachments": files()})
    assert retried["Location"] == response["Location"]
    assert Attachment.objects.count() == 2


def test_the_ticket_page_lists_the_files_and_reads_them_only_for_a_ticket_that_has_some(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    signed_in.post(url(surveys_area, "email"), email_data(subject="No files"))
    plain = Ticket.objects.get(subject="No files")
    with CaptureQueriesContext(connection) as read:
        page = signed_in.get(reverse("tickets:detail", args=[plain.number]))
    assert page.status_code == 200 and 'class="file-list"' not in page.content.decode()
    assert not [query for query in read.captured_queries if "tickets_attachment" in query["sql"]]

    files = [SimpleUploadedFile("screen.png", PNG), SimpleUploadedFile("export.pdf", PDF)]
    signed_in.post(
        url(surveys_area, "email"), {**email_data(subject="Files"), "attachments": files}
    )
    ticket = Ticket.objects.get(subject="Files")
    text = html_text(signed_in.get(reverse("tickets:detail", args=[ticket.number])))
    links = re.findall(r'<a href="/hub/attachments/(\d+)/" download>([^<]+)</a>', text)
    assert links == [
        (str(attachment.pk), attachment.original_name)
        for attachment in ticket.attachments.order_by("uploaded_at", "pk")
    ]
    assert [name for _, name in links] == ["screen.png", "export.pdf"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("page.html", b"<script>alert(1)</script>")], "is not a file type we accept"),
        ([("photo.png", b"MZ\x90\x00 not a png")], "does not contain what its name says (PNG)"),
        ([("notes.txt", b"\xff\xfe\x00binary")], "does not contain what its name says (TXT)"),
        ([("data.json", b"{not json")], "does not contain what its name says (JSON)"),
        ([("empty.pdf", b"")], "The submitted file is empty."),
        ([(f"f{n}.pdf", PDF) for n in range(4)], "Choose at most 3 files."),
        ([("big.txt", b"a" * (10 * 1024 * 1024 + 1))], "is larger than 10.0"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_kept(
    signed_in: Client,
    surveys_area: ProductArea,
    settings: Any,
    files: list[tuple[str, bytes]],
    message: str,
) -> None:
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    response = signed_in.post(
        url(surveys_area, "email"), {**email_data(subject="Kept"), "attachments": uploads}
    )
    assert_error_page(response, message)
    text = html_text(response)
    assert 'value="Kept"' in text and "choose them again" in text
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))


def test_a_failure_after_the_files_are_stored_removes_them_and_the_ticket(
    signed_in: Client,
    surveys_area: ProductArea,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tickets import services

    real_record = services._record

    def fail_after_files(ticket: Ticket, kind: Any, **kwargs: Any) -> Any:
        if "attachments" in kwargs:
            raise RuntimeError("database went away")
        return real_record(ticket, kind, **kwargs)

    monkeypatch.setattr(services, "_record", fail_after_files)
    files = [SimpleUploadedFile("screen.png", PNG)]
    with pytest.raises(RuntimeError):
        signed_in.post(url(surveys_area, "email"), {**email_data(), "attachments": files})
    assert not Ticket.objects.exists() and not Attachment.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.png"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject": ""}, "Enter a subject"),
        ({"description": ""}, "Describe the question or problem"),
        ({"description": "x" * 10_001}, "Description must be 10000 characters or fewer"),
        ({"language": "klingon"}, "Choose a language from the list"),
    ],
)
def test_bad_email_answers_get_a_clear_error_and_save_nothing(
    signed_in: Client, surveys_area: ProductArea, changes: dict[str, Any], message: str
) -> None:
    response = signed_in.post(url(surveys_area, "email"), email_data(**changes))
    assert_error_page(response, message)
    assert not Ticket.objects.exists()


def test_outside_italian_hours_an_email_is_taken_and_the_page_says_when_it_is_answered(
    signed_in: Client, surveys_area: ProductArea, standard_user: User
) -> None:
    contact_world.italian_closed()
    page = html_text(signed_in.get(url(surveys_area, "email", "?language=it")))
    assert "Email support in Italian is closed now. We will answer from" in page
    hours = signed_in.get(url(surveys_area, "email", "?language=it"), HTTP_HX_REQUEST="true")
    assert "<html" not in hours.content.decode()
    assert "closed now" in hours.content.decode()
    response = signed_in.post(url(surveys_area, "email"), email_data(language="it"))
    assert response.status_code == 302
    ticket = Ticket.objects.get(requester=standard_user)
    assert ticket.language == "it"
    assert "answered_from" in ticket.events.get(kind="created").data


def test_a_seat_holders_email_goes_to_enterprise_support(
    client: Client, world: list[Agent], surveys_area: ProductArea, seat_holder: User
) -> None:
    client.force_login(seat_holder)
    assert "Enterprise Support" in html_text(client.get(url(surveys_area, "email")))
    client.post(url(surveys_area, "email"), email_data())
    assert Ticket.objects.get(requester=seat_holder).team == Team.ENTERPRISE


# --- Attachments are downloads, for the requester and staff only ---------------------------


@pytest.fixture
def attachment(signed_in: Client, surveys_area: ProductArea, standard_user: User) -> Attachment:
    files = [SimpleUploadedFile("notes.txt", b"<html><script>alert(1)</script></html>")]
    signed_in.post(url(surveys_area, "email"), {**email_data(), "attachments": files})
    return Attachment.objects.get(ticket__requester=standard_user)


def test_an_attachment_is_served_as_a_sandboxed_download_to_its_requester(
    signed_in: Client, attachment: Attachment
) -> None:
    response = signed_in.get(f"/hub/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.getvalue() == b"<html><script>alert(1)</script></html>"


def test_a_stored_type_outside_the_list_is_served_as_bytes(
    signed_in: Client, attachment: Attachment
) -> None:
    Attachment.objects.filter(pk=attachment.pk).update(content_type="text/html")
    response = signed_in.get(f"/hub/attachments/{attachment.pk}/")
    assert response["Content-Type"] == "application/octet-stream"


def test_only_those_who_may_see_the_ticket_download_its_attachment(
    client: Client,
    attachment: Attachment,
    outsider: User,
    brand_admin: User,
    make_member: Callable[..., User],
    agent: User,
) -> None:
    path = f"/hub/attachments/{attachment.pk}/"
    colleague = make_member("colleague@acme.example", attachment.ticket.organisation)
    client.logout()
    assert client.get(path).status_code == 404
    for stranger in (outsider, colleague):
        client.force_login(stranger)
        assert client.get(path).status_code == 404
    # R-HISTORY: the brand administrator reads the organisation's tickets, files included.
    for reader in (brand_admin, agent):
        client.force_login(reader)
        assert client.get(path).status_code == 200
    assert client.get(f"/hub/attachments/{attachment.pk + 1000}/").status_code == 404


# --- Conference call -----------------------------------------------------------------------


@pytest.fixture
def seat_client(client: Client, world: list[Agent], seat_holder: User) -> Client:
    client.force_login(seat_holder)
    return client


def free_slots() -> list[Any]:
    now = timezone.now()
    return conference_slots_for(start=now, end=now + timedelta(days=14))


def test_a_seat_holder_sees_free_slots_by_day_in_their_time_zone(
    seat_client: Client, surveys_area: ProductArea
) -> None:
    text = html_text(seat_client.get(url(surveys_area, "conference")))
    assert "Times are in your time zone, America/Denver." in text
    first = free_slots()[0]
    local = first.astimezone(ZoneInfo("America/Denver"))
    assert f'value="{slot_value(first)}" id="id_slot"' in text
    assert f'<label for="id_slot">{local:%H:%M}</label>' in text
    assert text.count('<details class="slot-day"') >= 9  # ten weekdays ahead, less today
    assert "Enterprise Support" in text


def test_a_seat_holder_books_a_slot_with_screen_sharing(
    seat_client: Client, surveys_area: ProductArea, seat_holder: User, world: list[Agent]
) -> None:
    slot = free_slots()[0]
    data = {
        "idempotency_key": key(),
        "slot": slot_value(slot),
        "screen_sharing": "on",
        "subject": "Quarterly dashboard review",
        "language": "en",
    }
    response = seat_client.post(url(surveys_area, "conference"), data)
    ticket = Ticket.objects.get(requester=seat_holder)
    assert response["Location"] == f"/hub/requests/{ticket.number}/"
    assert (ticket.channel, ticket.team) == (Channel.CONFERENCE, Team.ENTERPRISE)
    booking = ticket.conference
    assert (booking.starts_at, booking.screen_sharing, booking.host) == (slot, True, world[2])
    # The request's page shows the booking, read apart from the ticket: only this kind has one.
    page = html_text(seat_client.get(f"/hub/tickets/{ticket.number}/"))
    assert "Conference call" in page and "with screen sharing" in page
    retried = seat_client.post(url(surveys_area, "conference"), data)
    assert retried["Location"] == response["Location"]
    assert ConferenceBooking.objects.count() == 1
    # The only specialist is booked then: the slot is no longer offered.
    assert slot_value(slot) not in html_text(seat_client.get(url(surveys_area, "conference")))


def test_a_slot_taken_meanwhile_gets_a_clear_error_and_nothing_is_saved(
    seat_client: Client,
    surveys_area: ProductArea,
    make_member: Callable[..., User],
    globex: Organisation,
) -> None:
    from tickets.services import conference_book

    slot = free_slots()[0]
    other = make_member("other@globex.example", globex, seat=True)
    conference_book(
        requester=other,
        product_area=surveys_area,
        language="en",
        starts_at=slot,
        screen_sharing=False,
        subject="First",
    )
    data = {"idempotency_key": key(), "slot": slot_value(slot), "subject": "Kept subject"}
    response = seat_client.post(url(surveys_area, "conference"), data)
    assert_error_page(response, "That time has just been taken. Choose another time.")
    assert 'value="Kept subject"' in html_text(response)
    assert Ticket.objects.count() == 1


def test_after_a_taken_time_the_day_it_was_on_stays_open(
    seat_client: Client,
    surveys_area: ProductArea,
    make_member: Callable[..., User],
    globex: Organisation,
) -> None:
    denver = ZoneInfo("America/Denver")
    slots = free_slots()
    first_day = slots[0].astimezone(denver).date()
    slot = next(slot for slot in slots if slot.astimezone(denver).date() != first_day)
    other = make_member("other@globex.example", globex, seat=True)
    conference_book(
        requester=other,
        product_area=surveys_area,
        language="en",
        starts_at=slot,
        screen_sharing=False,
        subject="First",
    )
    data = {"idempotency_key": key(), "slot": slot_value(slot), "subject": "Kept subject"}
    text = html_text(seat_client.post(url(surveys_area, "conference"), data))
    assert "That time has just been taken" in text
    opened = re.findall(
        r'<details class="slot-day" open> <summary class="slot-day__summary">([^<]+)<', text
    )
    assert opened == [f"{slot.astimezone(denver):%A %-d %B} "]


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("", "Choose a date and time for the call"),
        ("tomorrow at 3", "Choose a date and time for the call"),
        ("2020-01-06T15:00Z", "calls can be booked up to 14 days ahead"),  # in the past
        ("2099-01-03T03:00Z", "calls can be booked up to 14 days ahead"),  # far ahead
    ],
)
def test_bad_slots_are_refused(
    seat_client: Client, surveys_area: ProductArea, slot: str, message: str
) -> None:
    data = {"idempotency_key": key(), "slot": slot, "subject": "Review"}
    assert_error_page(seat_client.post(url(surveys_area, "conference"), data), message)
    assert not Ticket.objects.exists()


def test_a_slot_off_the_grid_is_refused(seat_client: Client, surveys_area: ProductArea) -> None:
    off_grid = free_slots()[0] + timedelta(minutes=10)
    data = {"idempotency_key": key(), "slot": slot_value(off_grid), "subject": "Review"}
    assert_error_page(
        seat_client.post(url(surveys_area, "conference"), data), "That time has just been taken"
    )


# --- Query counts --------------------------------------------------------------------------

# Who is asking (user, then the membership once: the flow's member facts), then the offers:
# the waiting callbacks and chats, the queue statistics and who is in the chat console, in
# one statement. The areas with their names, the hours and the roster are read once per
# change, not per request.
OFFERS = 3


# The phone form lists the product areas for its drop-down: the same reading (areas and their
# translations) gives the address's area.
@pytest.mark.parametrize(("form", "queries"), [("phone", OFFERS), ("email", OFFERS)])
def test_each_form_page_reads_a_fixed_number_of_queries(
    signed_in: Client,
    surveys_area: ProductArea,
    django_assert_num_queries: Any,
    form: str,
    queries: int,
) -> None:
    signed_in.get(url(surveys_area, form))  # warm the session and caches
    with django_assert_num_queries(SESSION_QUERIES + queries):
        assert signed_in.get(url(surveys_area, form)).status_code == 200


def test_the_wait_fragment_reads_a_fixed_number_of_queries(
    signed_in: Client, surveys_area: ProductArea, django_assert_num_queries: Any
) -> None:
    path = url(surveys_area, "phone/wait", "?language=it&area=cx-dashboards")
    signed_in.get(path, HTTP_HX_REQUEST="true")  # warm the session and caches
    # The other area comes from the same reading as the one in the address.
    with django_assert_num_queries(SESSION_QUERIES + OFFERS):
        signed_in.get(path, HTTP_HX_REQUEST="true")


def test_the_conference_page_reads_a_fixed_number_of_queries(
    seat_client: Client, surveys_area: ProductArea, django_assert_num_queries: Any
) -> None:
    seat_client.get(url(surveys_area, "conference"))  # warm the session and caches
    # Offers, then the calls booked (the conference hours and the specialists' shifts are
    # read once per change, not per request).
    with django_assert_num_queries(SESSION_QUERIES + OFFERS + 1):
        assert seat_client.get(url(surveys_area, "conference")).status_code == 200


# --- Fuzz: never a 500, never a half-saved ticket (RELIABILITY 17) -------------------------

FUZZ = hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KEYS = st.one_of(st.uuids().map(lambda value: value.hex), st.text(max_size=40))
NUMBERS = st.one_of(
    st.text(alphabet="0123456789 +()-./", max_size=30),
    st.text(max_size=45),
    st.sampled_from([ROME_NUMBER, "020 7946 0123", "+1 303 555 0100", "+999 1"]),
)


def _posted(form: Any) -> dict[str, Any]:
    return {name: value for name, value in form.data.items() if value is not None}


def _assert_no_half_saved(response: Any, before: int) -> None:
    event(f"status {response.status_code}")
    # 400: control characters, refused before any form sees them (hub.middleware).
    assert response.status_code in (200, 302, 400), response.status_code
    after = Ticket.objects.count()
    if response.status_code in (200, 400):
        assert after == before
    else:
        assert after <= before + 1
        assert Ticket.objects.filter(channel=Channel.PHONE, phone_number="").count() == 0


@pytest.fixture
def fuzz_client(signed_in: Client) -> Iterator[Client]:
    yield signed_in


@FUZZ
@given(data=st.data())
def test_the_phone_form_never_fails_on_any_input(
    fuzz_client: Client, surveys_area: ProductArea, data: st.DataObject
) -> None:
    form = data.draw(
        from_form(
            PhoneRequestForm,
            idempotency_key=KEYS,
            number=NUMBERS,
            country=st.one_of(st.sampled_from(["GB", "IT", "US"]), st.text(max_size=3)),
            email=st.one_of(st.emails(), st.text(max_size=30)),
            area=st.one_of(
                st.sampled_from(["surveys-xm-directory", "cx-dashboards", "xm-discover"]),
                st.text(max_size=20),
            ),
            english_choice_made=st.booleans(),
        )
    )
    before = Ticket.objects.count()
    response = fuzz_client.post(url(surveys_area, "phone"), _posted(form))
    _assert_no_half_saved(response, before)


@FUZZ
@given(data=st.data())
def test_the_email_form_never_fails_on_any_input(
    fuzz_client: Client, surveys_area: ProductArea, data: st.DataObject
) -> None:
    form = data.draw(
        from_form(
            EmailRequestForm,
            idempotency_key=KEYS,
            attachments=st.lists(
                st.builds(
                    SimpleUploadedFile,
                    st.sampled_from(["a.png", "b.txt", "c.json", "d.exe", "e.pdf", "noext"]),
                    st.binary(max_size=64),
                ),
                max_size=4,
            ),
        )
    )
    before, files_before = Ticket.objects.count(), Attachment.objects.count()
    posted = _posted(form)
    uploads = posted.pop("attachments", None) or form.files.get("attachments") or []
    response = fuzz_client.post(url(surveys_area, "email"), {**posted, "attachments": uploads})
    _assert_no_half_saved(response, before)
    if response.status_code == 200:
        assert Attachment.objects.count() == files_before


@FUZZ
@given(data=st.data())
def test_the_conference_form_never_fails_on_any_input(
    client: Client,
    world: list[Agent],
    seat_holder: User,
    surveys_area: ProductArea,
    data: st.DataObject,
) -> None:
    client.force_login(seat_holder)
    slots = [slot_value(slot) for slot in free_slots()[:5]]
    form = data.draw(
        from_form(
            ConferenceRequestForm,
            idempotency_key=KEYS,
            slot=st.one_of(st.sampled_from(slots), st.text(max_size=30)),
        )
    )
    before = Ticket.objects.count()
    response = client.post(url(surveys_area, "conference"), _posted(form))
    _assert_no_half_saved(response, before)
    assert (
        ConferenceBooking.objects.count()
        == Ticket.objects.filter(channel=Channel.CONFERENCE).count()
    )


def test_a_callback_in_a_language_nobody_speaks_is_refused_next_to_the_language(
    signed_in: Client, surveys_area: ProductArea
) -> None:
    # Nobody on the roster speaks Japanese: no callback can be promised, now or later.
    page = html_text(signed_in.get(url(surveys_area, "phone", "?language=ja")))
    assert "Phone callbacks in Japanese are not available. Choose another language." in page
    response = signed_in.post(url(surveys_area, "phone"), phone_data(surveys_area, language="ja"))
    assert_error_page(response, "This is not available in Japanese at the moment.")
    assert 'href="#id_language"' in html_text(response)
    assert not Ticket.objects.exists()
