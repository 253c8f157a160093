"""Bad input is a 400 (or a form error), never a 500, and nothing is saved.

NUL and other control characters anywhere in an address or a form, conference dates outside
the window the page offers, ids of the wrong shape, and bodies too large to take.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from hub.accounts.models import User
from hub.flow.contact_forms import slot_value
from routing.models import Agent, ProductArea
from routing.selectors import conference_slots_for
from tests.hub import contact_world
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

EMAIL = "/hub/technical/areas/surveys-xm-directory/contact/email/"
PHONE = "/hub/technical/areas/surveys-xm-directory/contact/phone/"
CONFERENCE = "/hub/technical/areas/surveys-xm-directory/contact/conference/"


@pytest.fixture
def world(db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return contact_world.open_world()


@pytest.fixture
def signed_in(client: Client, standard_user: User, world: list[Agent]) -> Client:
    client.force_login(standard_user)
    return client


def email_data(**changes: str) -> dict[str, str]:
    return {
        "idempotency_key": uuid.uuid4().hex,
        "language": "en",
        "subject": "Export fails",
        "description": "The CSV export stops at 80 % and never finishes.",
        **changes,
    }


def test_a_nul_in_the_search_query_is_a_400(client: Client) -> None:
    response = client.get("/support/search/?q=%00")
    assert response.status_code == 400
    assert "We could not read this request" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/hub/?x=%01",
        "/hub/tickets/?q=a%0Db",
        "/hub/requests/CS-000001%00/",
        "/support/articles/%7F/",
    ],
)
def test_control_characters_in_an_address_are_a_400(signed_in: Client, path: str) -> None:
    assert signed_in.get(path).status_code == 400


def test_a_nul_in_the_hidden_conversation_field_is_refused_and_nothing_is_saved(
    signed_in: Client,
) -> None:
    response = signed_in.post(EMAIL, email_data(conversation="abc\x00def"))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_nul_in_a_multipart_form_is_refused_and_nothing_is_saved(signed_in: Client) -> None:
    files = {"attachments": SimpleUploadedFile("log.txt", b"ok\n", content_type="text/plain")}
    response = signed_in.post(EMAIL, {**email_data(description="stops\x00here"), **files})
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_line_breaks_in_a_description_are_fine_but_not_in_a_subject(signed_in: Client) -> None:
    response = signed_in.post(EMAIL, email_data(description="Line one\r\nLine two\tend"))
    assert response.status_code == 302
    response = signed_in.post(EMAIL, email_data(subject="Export\r\nBcc: everyone@example.com"))
    assert response.status_code == 200
    assert (
        "Write the subject on one line, without line breaks or special characters"
        in response.content.decode()
    )
    assert Ticket.objects.count() == 1


def test_the_subject_error_is_in_the_users_language(signed_in: Client, standard_user: User) -> None:
    standard_user.preferred_language = "it"
    standard_user.save(update_fields=["preferred_language"])
    response = signed_in.post(EMAIL, email_data(subject="Una\nriga"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Write the subject on one line" not in text
    assert "Scrivi l’oggetto su una sola riga" in text
    assert not Ticket.objects.exists()


def test_a_phone_subject_with_a_line_break_gets_a_form_error(signed_in: Client) -> None:
    data = {
        "idempotency_key": uuid.uuid4().hex,
        "area": "surveys-xm-directory",
        "language": "en",
        "country": "GB",
        "number": "020 7946 0123",
        "email": "standard@acme.example",
        "subject": "Dashboard\nbroken",
        "recording_consent": "on",
    }
    response = signed_in.post(PHONE, data)
    assert response.status_code == 200
    assert "Write the subject on one line" in response.content.decode()
    assert not Ticket.objects.exists()


# --- Conference dates ------------------------------------------------------------------------


@pytest.fixture
def seat_client(client: Client, world: list[Agent], seat_holder: User) -> Client:
    client.force_login(seat_holder)
    return client


@pytest.mark.parametrize(
    "slot",
    [
        "9999-12-31T23:30Z",  # gave a 500 (date arithmetic overflowed)
        "0001-01-01T00:00Z",
        "2020-01-06T15:00Z",
    ],
)
def test_a_conference_date_far_away_is_a_form_error(seat_client: Client, slot: str) -> None:
    data = {"idempotency_key": uuid.uuid4().hex, "slot": slot, "subject": "Review"}
    response = seat_client.post(CONFERENCE, data)
    assert response.status_code == 200
    assert "calls can be booked up to 14 days ahead" in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_real_slot_beyond_the_window_the_page_offers_is_a_form_error(
    seat_client: Client,
) -> None:
    now = timezone.now()
    # A slot the specialists would be free for, six months ahead: on the grid, in hours.
    later = conference_slots_for(
        start=now + timedelta(days=180), end=now + timedelta(days=190), booked=[]
    )[0]
    data = {"idempotency_key": uuid.uuid4().hex, "slot": slot_value(later), "subject": "Review"}
    response = seat_client.post(CONFERENCE, data)
    assert response.status_code == 200
    assert "calls can be booked up to 14 days ahead" in response.content.decode()
    assert not Ticket.objects.exists()


# --- Ids of the wrong shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/hub/requests/not-a-number/",
        "/hub/tickets/CS-99999999999999999999999/",
        "/hub/tickets/%E2%80%A8/",
        "/hub/attachments/99999999999999999999999/",
        "/hub/chats/CS-xyz/messages/?after=abc&state=active",
        "/hub/chats/CS-000001/messages/?after=99999999999999999999999&state=active",
        f"{EMAIL}?conversation=not-a-conversation",
        f"{EMAIL}?conversation={'x' * 500}",
        f"{PHONE}?chat=abc",
        f"{PHONE}?chat=99999999999999999999999",
        "/hub/tickets/?page=abc&sort=nonsense&status=nope&created_after=9999-99-99",
        "/support/search/?q=" + "a" * 5000,
        "/support/articles/%2e%2e/",
    ],
)
def test_ids_of_the_wrong_shape_are_never_a_500(signed_in: Client, path: str) -> None:
    response = Client(raise_request_exception=False)
    response.force_login(User.objects.get(email="standard@acme.example"))
    assert response.get(path).status_code < 500


# --- Size ------------------------------------------------------------------------------------


def test_a_body_above_the_cap_is_refused_with_a_clear_page(
    signed_in: Client, settings: Any
) -> None:
    settings.REQUEST_BODY_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.txt", b"x" * 2000, content_type="text/plain")
    response = signed_in.post(EMAIL, {**email_data(), "attachments": big})
    assert response.status_code == 413
    assert "You can attach up to 3 files of 10 MB each." in response.content.decode()
    assert not Ticket.objects.exists()


def test_too_much_form_text_is_refused_with_the_same_page(signed_in: Client, settings: Any) -> None:
    response = signed_in.post(EMAIL, email_data(description="x" * (1024 * 1024 + 1)))
    assert response.status_code == 413
    assert not Ticket.objects.exists()


def test_the_limits_are_set_deliberately() -> None:
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 500
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 10
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.REQUEST_BODY_MAX_BYTES >= 3 * 10 * 1024 * 1024
