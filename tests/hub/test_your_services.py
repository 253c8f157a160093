"""The "Your services" page of Success Package seat holders: their Technical Success Manager,
and a Success Check that becomes one ticket for the TSM's team."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.accounts.models import Organisation, User
from tests.conftest import SESSION_QUERIES
from tickets.idempotency import new_idempotency_key
from tickets.models import Channel, EventKind, Team, Ticket

SERVICES_URL = "/hub/your-services/"
CHECK_URL = "/hub/your-services/success-check/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex_colleague(make_member: Callable[..., User], globex: Organisation) -> User:
    """A standard user of the organisation with Success Packages, without a seat."""
    return make_member("colleague@globex.example", globex, first_name="Gil")


def _signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def _main(response: Any) -> str:
    html = response.content.decode()
    return str(html[html.index("<main") : html.index("</main>")])


def _check_data(**changes: str) -> dict[str, str]:
    today = timezone.localdate()
    data = {
        "review": "How our regional teams use the CX dashboards",
        "earliest": (today + timedelta(days=7)).isoformat(),
        "latest": (today + timedelta(days=21)).isoformat(),
        "time_of_day": "afternoon",
        "notes": "Our programme relaunches in June.",
        "idempotency_key": new_idempotency_key(),
    }
    data.update(changes)
    return data


# --- Who has the page ----------------------------------------------------------------------


def test_a_seat_holder_sees_their_technical_success_manager(
    client: Client, seat_holder: User, tsm: User
) -> None:
    response = _signed_in(client, seat_holder).get(SERVICES_URL)
    main = _main(response)
    assert response.status_code == 200
    assert "<h1>Your services</h1>" in main
    assert "Tom Meyer" in main
    assert '<a href="mailto:tsm@hub.example">tsm@hub.example</a>' in main
    assert f'href="{CHECK_URL}"' in main and "Request a Success Check" in main


def test_a_seat_holder_finds_their_services_on_the_hub_home(
    client: Client, seat_holder: User, tsm: User
) -> None:
    main = _main(_signed_in(client, seat_holder).get("/hub/"))
    assert f'<a href="{SERVICES_URL}">' in main


def test_without_a_named_tsm_the_page_says_so_and_still_offers_the_check(
    client: Client, seat_holder: User
) -> None:
    main = _main(_signed_in(client, seat_holder).get(SERVICES_URL))
    assert "has not been named yet" in main
    assert f'href="{CHECK_URL}"' in main


@pytest.mark.parametrize("actor", ["standard_user", "globex_colleague", "outsider"])
def test_others_get_no_page_and_no_link(
    client: Client, request: pytest.FixtureRequest, actor: str, tsm: User
) -> None:
    """A standard user, a colleague of a seat holder without a seat, and another
    organisation's administrator: none has Your services."""
    user: User = request.getfixturevalue(actor)
    signed_in = _signed_in(client, user)
    assert signed_in.get(SERVICES_URL).status_code == 404
    assert signed_in.get(CHECK_URL).status_code == 404
    assert signed_in.post(CHECK_URL, _check_data()).status_code == 404
    assert SERVICES_URL not in signed_in.get("/hub/").content.decode()
    assert not Ticket.objects.exists()


def test_a_seat_in_an_organisation_without_success_packages_has_no_page(
    client: Client, make_member: Callable[..., User], make_organisation: Callable[..., Organisation]
) -> None:
    lapsed = make_organisation("Lapsed Ltd", licence_tier="enterprise", success_packages=0)
    user = make_member("seat@lapsed.example", lapsed, seat=True)
    assert _signed_in(client, user).get(SERVICES_URL).status_code == 404


def test_staff_get_no_page(client: Client, agent: User) -> None:
    assert _signed_in(client, agent).get(SERVICES_URL).status_code == 404


# --- The Success Check ---------------------------------------------------------------------


def test_the_form_asks_what_to_review_when_and_for_notes(
    client: Client, seat_holder: User, tsm: User
) -> None:
    main = _main(_signed_in(client, seat_holder).get(CHECK_URL))
    assert "<h1>Request a Success Check</h1>" in main
    for name in ("review", "earliest", "latest", "notes", "idempotency_key"):
        assert f'name="{name}"' in main, name
    assert main.count('type="date"') == 2
    assert main.count('name="time_of_day"') == 3
    assert "America/Denver" in main  # the seat holder's own time zone


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"review": ""}, "Say what the Success Check should review"),
        ({"earliest": "yesterday"}, "Enter the earliest date as a real date"),
        ({"earliest": "2001-01-01"}, "The earliest date must be today or later"),
        ({"latest": ""}, "Enter the latest date that suits you"),
        ({"time_of_day": ""}, "Choose the time of day that suits you"),
        ({"time_of_day": "midnight"}, "Select a valid choice"),
        ({"review": "x" * 1001}, "Say what to review in 1000 characters or fewer"),
    ],
)
def test_bad_input_is_shown_in_an_error_summary_and_creates_nothing(
    client: Client, seat_holder: User, tsm: User, changes: dict[str, str], message: str
) -> None:
    response = _signed_in(client, seat_holder).post(CHECK_URL, _check_data(**changes))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<title>Error: ", html)
    summary = html[html.index('class="error-summary"') :]
    assert "There is a problem" in summary and message in summary
    if "review" not in changes:
        assert "How our regional teams use the CX dashboards" in html  # the typed value stays
    assert not Ticket.objects.exists()
    assert mail.outbox == []


def test_latest_before_earliest_is_refused(client: Client, seat_holder: User, tsm: User) -> None:
    today = timezone.localdate()
    data = _check_data(
        earliest=(today + timedelta(days=10)).isoformat(),
        latest=(today + timedelta(days=3)).isoformat(),
    )
    html = _signed_in(client, seat_holder).post(CHECK_URL, data).content.decode()
    assert "The latest date must be the same as or after the earliest date" in html
    assert '<a href="#id_latest">' in html
    assert not Ticket.objects.exists()


def test_a_success_check_makes_one_ticket_for_the_tsm_team_and_one_email(
    client: Client,
    seat_holder: User,
    tsm: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    signed_in = _signed_in(client, seat_holder)
    data = _check_data()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(CHECK_URL, data)
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/hub/requests/{ticket.number}/"
    assert ticket.team == Team.SUCCESS
    assert ticket.channel == Channel.WEB
    assert ticket.assigned_to == tsm
    assert ticket.requester == seat_holder
    assert "How our regional teams use the CX dashboards" in ticket.description
    assert "Afternoons (America/Denver)" in ticket.description
    assert "Our programme relaunches in June." in ticket.description
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.data["success_check"]["time_of_day"] == "afternoon"
    [email] = mail.outbox
    assert email.to == [seat_holder.email]
    assert ticket.number in email.subject or ticket.number in email.body

    # The same form sent again (a double click, a retried POST): the same ticket, no email.
    with django_capture_on_commit_callbacks(execute=True):
        again = signed_in.post(CHECK_URL, data)
    assert again["Location"] == f"/hub/requests/{ticket.number}/"
    assert Ticket.objects.count() == 1
    assert len(mail.outbox) == 1

    confirmation = _main(signed_in.get(again["Location"]))
    assert "Request received" in confirmation
    assert ticket.number in confirmation
    assert "We have sent you a confirmation email" in confirmation
    assert "What happens next" in confirmation
    assert "Technical Success" in confirmation


def test_pages_read_the_same_few_queries_however_many_tickets_and_seats(
    client: Client,
    seat_holder: User,
    tsm: User,
    make_member: Callable[..., User],
    globex: Organisation,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    signed_in = _signed_in(client, seat_holder)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(url).status_code == 200
        return len(captured)

    signed_in.get(SERVICES_URL)  # the session, read once
    # The user, then the membership with the organisation and its TSM, in one query.
    with django_assert_num_queries(SESSION_QUERIES + 2):
        signed_in.get(SERVICES_URL)
    with django_assert_num_queries(SESSION_QUERIES + 2):
        signed_in.get(CHECK_URL)
    with django_assert_num_queries(SESSION_QUERIES + 2):
        signed_in.get("/hub/")
    before = {url: queries(url) for url in (SERVICES_URL, CHECK_URL, "/hub/")}
    for number in range(4):
        make_member(f"seat{number}@globex.example", globex, seat=True)
    for _ in range(5):
        signed_in.post(CHECK_URL, _check_data())
    assert Ticket.objects.count() == 5
    assert {url: queries(url) for url in before} == before
