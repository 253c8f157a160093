"""R-HISTORY: the ticket history list, its export and the ticket page, for every role."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, strip_tags
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hub.accounts.models import Organisation, User
from routing.configuration import current_configuration
from routing.models import ProductArea
from tests.conftest import SESSION_QUERIES
from tests.tickets.history_world import assistant_turn_attach, tickets_bulk
from tickets.models import (
    OPEN_STATUSES,
    CallbackRequest,
    Channel,
    EventKind,
    Status,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.selectors import (
    Cursor,
    HistoryFilters,
    HistorySort,
    filtered_history,
    ticket_history_page,
    tickets_visible_to,
)
from tickets.services import callback_enqueue, ticket_create

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def colleague(make_member: Callable[..., User], acme: Organisation) -> User:
    """Another standard user of the requester's organisation."""
    return make_member("colleague@acme.example", acme, first_name="Cleo", last_name="Park")


@pytest.fixture
def own_ticket(standard_user: User, product_areas: list[ProductArea]) -> Ticket:
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Reminder emails reach people who already answered",
        description="Since the last distribution, finished respondents get reminders too.",
        product_area=ProductArea.objects.get(slug="surveys-xm-directory"),
        language="en",
        phone_number="+390612345678",
        recording_consent=True,
        account_access_allowed=True,
    )
    callback_enqueue(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    return ticket


def _as(client: Client, user: User | None) -> Client:
    if user is not None:
        client.force_login(user)
    return client


def _text(response: Any) -> str:
    return response.content.decode() if hasattr(response, "content") else ""


# --- Who sees what: every URL × every role -----------------------------------------------

ROLES = [
    "requester",
    "brand_admin",
    "colleague",
    "outsider",
    "seat_holder",
    "fedramp_user",
    "agent",
    "anonymous",
]


@pytest.fixture
def actors(
    standard_user: User,
    brand_admin: User,
    colleague: User,
    outsider: User,
    seat_holder: User,
    fedramp_user: User,
    agent: User,
) -> dict[str, User | None]:
    return {
        "requester": standard_user,
        "brand_admin": brand_admin,
        "colleague": colleague,
        "outsider": outsider,
        "seat_holder": seat_holder,
        "fedramp_user": fedramp_user,
        "agent": agent,
        "anonymous": None,
    }


# (method, url template, the roles that may use it, status for them)
TICKET_URLS = [
    ("get", "/hub/tickets/{number}/", {"requester", "brand_admin"}, 200),
    ("htmx", "/hub/tickets/{number}/queue/", {"requester", "brand_admin"}, 200),
    ("post", "/hub/tickets/{number}/comments/", {"requester"}, 302),
    ("get", "/hub/tickets/{number}/close/", {"requester"}, 200),
    ("post", "/hub/tickets/{number}/account-access/", {"requester"}, 302),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "allowed", "status"), TICKET_URLS)
def test_every_ticket_url_answers_only_those_who_may_see_it_and_404_to_everyone_else(
    client: Client,
    actors: dict[str, User | None],
    own_ticket: Ticket,
    role: str,
    method: str,
    url: str,
    allowed: set[str],
    status: int,
) -> None:
    path = url.format(number=own_ticket.number)
    _as(client, actors[role])
    if method == "post":
        response = client.post(path, {"body": "More detail", "allowed": "no"})
    elif method == "htmx":
        response = client.get(path, headers={"HX-Request": "true"})
    else:
        response = client.get(path)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    elif role in allowed:
        assert response.status_code == status
    else:
        assert response.status_code == 404
    if role not in allowed:
        # Nothing changed for those who may not: no comment, access still allowed.
        own_ticket.refresh_from_db()
        assert own_ticket.account_access_allowed
        assert not own_ticket.events.filter(kind=EventKind.COMMENT).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_each_role_exactly_the_tickets_it_may_see(
    client: Client,
    actors: dict[str, User | None],
    own_ticket: Ticket,
    colleague: User,
    outsider: User,
    role: str,
) -> None:
    colleagues = ticket_create(
        requester=colleague, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Colleague's"
    )
    elsewhere = ticket_create(
        requester=outsider, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Initech's"
    )
    expected = {
        "requester": {own_ticket.number},
        "brand_admin": {own_ticket.number, colleagues.number},
        "colleague": {colleagues.number},
        "outsider": {elsewhere.number},
        "seat_holder": set(),
        "fedramp_user": set(),
    }
    response = _as(client, actors[role]).get("/hub/tickets/")
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role == "agent":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    shown = {ticket.number for ticket in response.context["page"].tickets}
    assert shown == expected[role]
    html = _text(response)
    for number in {own_ticket.number, colleagues.number, elsewhere.number} - expected[role]:
        assert number not in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_brand_administrators_export_and_only_their_organisations_tickets(
    client: Client,
    actors: dict[str, User | None],
    own_ticket: Ticket,
    outsider: User,
    role: str,
) -> None:
    elsewhere = ticket_create(
        requester=outsider, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Initech's"
    )
    response = _as(client, actors[role]).get("/hub/tickets/export.csv")
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role not in {"brand_admin", "outsider"}:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == ({own_ticket.number} if role == "brand_admin" else {elsewhere.number})


@pytest.mark.django_db
def test_a_ticket_waiting_for_verify_and_confirm_shows_nowhere_until_confirmed(
    client: Client, standard_user: User, brand_admin: User
) -> None:
    hidden = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.ENTERPRISE,
        subject="Passed on by a TSM",
        verification_required=True,
    )
    for user in (standard_user, brand_admin):
        assert not tickets_visible_to(user).filter(pk=hidden.pk).exists()
        assert _as(client, user).get(f"/hub/tickets/{hidden.number}/").status_code == 404
    Ticket.objects.filter(pk=hidden.pk).update(verified_at=START)
    assert _as(client, standard_user).get(f"/hub/tickets/{hidden.number}/").status_code == 200


@pytest.mark.django_db
def test_a_standard_user_who_moved_organisation_no_longer_sees_the_old_tickets(
    standard_user: User, own_ticket: Ticket, make_organisation: Callable[..., Organisation]
) -> None:
    standard_user.membership.organisation = make_organisation("Umbrella")
    standard_user.membership.save()
    assert not tickets_visible_to(User.objects.get(pk=standard_user.pk)).exists()


# --- Filters, search, sorting --------------------------------------------------------------


@pytest.fixture
def acme_history(
    standard_user: User, brand_admin: User, colleague: User, product_areas: list[ProductArea]
) -> list[Ticket]:
    return tickets_bulk(
        [standard_user, colleague, brand_admin], 36, start=START, areas=product_areas[:3]
    )


def _numbers(response: Any) -> list[str]:
    return [ticket.number for ticket in response.context["page"].tickets]


FILTER_TABLE: list[tuple[dict[str, str], Callable[[Ticket], bool]]] = [
    ({"status": "solved"}, lambda t: t.status == Status.SOLVED),
    ({"status": "open"}, lambda t: t.status in (Status.QUEUED, Status.IN_PROGRESS)),
    ({"channel": "phone"}, lambda t: t.channel == Channel.PHONE),
    ({"area": "employee-experience"}, lambda t: t.product_area.slug == "employee-experience"),
    ({"requester": "me"}, lambda t: t.requester.email == "admin@acme.example"),
    ({"status": "closed", "channel": "conference"}, lambda t: t.status == "closed"),
    ({"created_from": "2026-06-01", "created_to": "2026-06-01"}, lambda t: True),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "keeps"), FILTER_TABLE)
def test_each_filter_keeps_exactly_the_matching_tickets(
    client: Client,
    brand_admin: User,
    acme_history: list[Ticket],
    query: dict[str, str],
    keeps: Callable[[Ticket], bool],
) -> None:
    response = _as(client, brand_admin).get("/hub/tickets/", {**query, "sort": "oldest"})
    expected = [ticket.number for ticket in acme_history if keeps(ticket)][:25]
    assert _numbers(response) == expected
    assert response.context["is_narrowed"]


@pytest.mark.django_db
def test_a_brand_administrator_narrows_to_one_colleague(
    client: Client, brand_admin: User, colleague: User, acme_history: list[Ticket]
) -> None:
    response = _as(client, brand_admin).get(
        "/hub/tickets/", {"requester": str(colleague.pk), "sort": "oldest"}
    )
    expected = [t.number for t in acme_history if t.requester_id == colleague.pk]
    assert _numbers(response) == expected


@pytest.mark.django_db
def test_the_list_names_who_asked_even_after_they_leave_or_are_renamed(
    client: Client,
    brand_admin: User,
    colleague: User,
    acme_history: list[Ticket],
    make_organisation: Callable[..., Organisation],
) -> None:
    query = {"requester": str(colleague.pk)}
    html = _text(_as(client, brand_admin).get("/hub/tickets/", query))
    assert html.count('data-label="Requested by">Cleo Park<') == 12
    colleague.first_name = "Cleopatra"
    colleague.save(update_fields=["first_name"])
    html = _text(client.get("/hub/tickets/", query))
    assert html.count('data-label="Requested by">Cleopatra Park<') == 12
    # Gone to another organisation: their requests stay in this one's history, named.
    colleague.membership.organisation = make_organisation("Umbrella")
    colleague.membership.save()
    html = _text(client.get("/hub/tickets/", {"sort": "oldest"}))
    assert 'data-label="Requested by">Cleopatra Park<' in html
    assert f'<option value="{colleague.pk}"' not in html


@pytest.mark.django_db
def test_the_filter_form_follows_new_members_renamed_areas_the_language_and_its_values(
    client: Client,
    brand_admin: User,
    acme_history: list[Ticket],
    make_member: Callable[..., User],
    acme: Organisation,
) -> None:
    html = _text(_as(client, brand_admin).get("/hub/tickets/"))
    assert ">Newcomer Jones</option>" not in html
    newcomer = make_member("newcomer@acme.example", acme, first_name="Newcomer", last_name="Jones")
    html = _text(client.get("/hub/tickets/"))
    assert f'<option value="{newcomer.pk}">Newcomer Jones</option>' in html
    area = ProductArea.objects.get(slug="employee-experience")
    area.name = "People Experience"
    area.save()
    html = _text(client.get("/hub/tickets/"))
    assert '<option value="employee-experience">People Experience</option>' in html
    # A filled-in form shows the request's own choices, not the form drawn for others.
    html = _text(client.get("/hub/tickets/", {"status": "solved"}))
    assert '<option value="solved" selected>' in html
    html = _text(client.get("/hub/tickets/"))
    assert '<option value="solved" selected>' not in html
    html = _text(client.get("/hub/tickets/", {"status": "closed", "q": "token"}))
    assert '<option value="closed" selected>' in html
    assert '<option value="solved" selected>' not in html
    assert 'value="token"' in html
    latecomer = make_member("latecomer@acme.example", acme, first_name="Late", last_name="Comer")
    html = _text(client.get("/hub/tickets/", {"status": "solved"}))
    assert '<option value="solved" selected>' in html
    assert f'<option value="{latecomer.pk}">Late Comer</option>' in html
    brand_admin.preferred_language = "it"
    brand_admin.save(update_fields=["preferred_language"])
    html = _text(client.get("/hub/tickets/"))
    with translation.override("it"):
        assert f"selected>{escape(translation.gettext('Any status'))}</option>" in html


@pytest.mark.django_db
def test_a_standard_user_has_no_requester_filter_and_cannot_forge_one(
    client: Client, standard_user: User, colleague: User, acme_history: list[Ticket]
) -> None:
    response = _as(client, standard_user).get("/hub/tickets/", {"requester": str(colleague.pk)})
    assert "requester" not in response.context["form"].fields
    assert {t.requester_id for t in response.context["page"].tickets} == {standard_user.pk}


@pytest.mark.django_db
def test_dates_are_whole_days_in_the_users_time_zone(
    client: Client, brand_admin: User, standard_user: User
) -> None:
    brand_admin.time_zone = "America/Denver"
    brand_admin.save()
    # 05:30 UTC on 1 July is still 30 June in Denver (UTC-6 in summer).
    late = tickets_bulk([standard_user], 1, start=datetime(2026, 7, 1, 5, 30, tzinfo=UTC))
    response = _as(client, brand_admin).get(
        "/hub/tickets/", {"created_from": "2026-06-30", "created_to": "2026-06-30"}
    )
    assert _numbers(response) == [late[0].number]
    response = client.get("/hub/tickets/", {"created_from": "2026-07-01"})
    assert _numbers(response) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"created_from": "2026-02-30"}, "Enter the first date as a real date"),
        ({"created_from": "2026-05-31", "created_to": "2026-05-30"}, "The last date must be"),
        ({"status": "lost"}, "Select a valid choice"),
        ({"requester": "999999"}, "Select a valid choice"),  # nobody in the organisation
        ({"q": "x" * 201}, "Search for 200 characters or fewer"),
    ],
)
def test_bad_filters_are_explained_and_the_rest_still_apply(
    client: Client,
    brand_admin: User,
    acme_history: list[Ticket],
    query: dict[str, str],
    error: str,
) -> None:
    # The same valid filters alone, before and after, draw the form without the error.
    valid = _text(_as(client, brand_admin).get("/hub/tickets/", {"channel": "phone"}))
    assert 'aria-invalid="true"' not in valid
    response = client.get("/hub/tickets/", {**query, "channel": "phone"})
    html = _text(response)
    assert response.status_code == 200
    assert "There is a problem" in html
    assert error in html
    assert "<title>Error:" in html
    assert 'aria-invalid="true"' in html
    assert {t.channel for t in response.context["page"].tickets} == {Channel.PHONE}
    again = _text(client.get("/hub/tickets/", {"channel": "phone"}))
    assert 'aria-invalid="true"' not in again
    assert error not in again


@pytest.mark.django_db
@pytest.mark.smoke
def test_search_finds_a_ticket_by_number_in_any_spelling_and_by_its_words(
    client: Client, brand_admin: User, acme_history: list[Ticket]
) -> None:
    target = acme_history[4]
    digits = str(int(target.number[3:]))
    _as(client, brand_admin)
    for spelling in (target.number, target.number.lower(), digits, f"CS{digits}"):
        assert target.number in _numbers(client.get("/hub/tickets/", {"q": spelling}))
    # Words of the subject, the last one as a prefix ("API token returns 401 …").
    found = _numbers(client.get("/hub/tickets/", {"q": "api tok", "sort": "oldest"}))
    assert found == [t.number for t in acme_history if t.subject.startswith("API token")]
    # Words of a comment on the timeline.
    found = _numbers(client.get("/hub/tickets/", {"q": "overnight", "sort": "oldest"}))
    assert found == [t.number for i, t in enumerate(acme_history) if i % 3 == 0][:25]


@pytest.mark.django_db
def test_search_matches_other_forms_of_a_word_on_postgresql(
    client: Client, brand_admin: User, acme_history: list[Ticket]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL full-text search")
    # "exported" and "exports" stem to the "export" of "Survey export stops …".
    _as(client, brand_admin)
    expected = [t.number for t in acme_history if t.subject.startswith("Survey export")]
    for word in ("exported", "exports"):
        found = _numbers(client.get("/hub/tickets/", {"q": word, "sort": "oldest"}))
        assert [n for n in found if n in expected] == expected


@pytest.mark.django_db
def test_search_never_reaches_another_organisation_and_ignores_query_syntax(
    client: Client, outsider: User, brand_admin: User, acme_history: list[Ticket]
) -> None:
    _as(client, outsider)
    assert _numbers(client.get("/hub/tickets/", {"q": "export"})) == []
    assert _numbers(client.get("/hub/tickets/", {"q": acme_history[0].number})) == []
    _as(client, brand_admin)
    for hostile in ("export & !", "':* | (", "!!!", "a:*b"):
        assert client.get("/hub/tickets/", {"q": hostile}).status_code == 200


@pytest.mark.django_db
def test_a_search_the_connection_prepares_keeps_its_words_in_the_statement(
    client: Client, brand_admin: User, acme_history: list[Ticket]
) -> None:
    """A statement run often enough on a connection is prepared, and PostgreSQL may then plan
    it once for any parameters: a search's words must be in the statement itself, so that
    the plan is made for them (without them, the count sorted every match instead of
    stopping at the cap)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    _as(client, brand_admin)
    expected = [t.number for t in acme_history if t.subject.startswith("API token")]
    for _ in range(8):
        found = _numbers(client.get("/hub/tickets/", {"q": "api tok", "sort": "oldest"}))
        assert found == expected
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%to_tsquery%"],
        )
        prepared = [row[0] for row in cursor.fetchall()]
    if not prepared:
        pytest.skip("this connection does not prepare statements (DATABASE_PREPARE_THRESHOLD=0)")
    for statement in prepared:
        assert "to_tsquery('english'::regconfig, 'api & tok:*')" in statement
        assert "to_tsquery('simple'::regconfig, 'api & tok:*')" in statement


@pytest.mark.django_db
def test_each_search_reads_its_own_matches_from_statements_compiled_once(
    brand_admin: User, standard_user: User, acme_history: list[Ticket]
) -> None:
    """A search's statements are compiled once per shape (a number, words, the language's
    stemming), and each search writes its own words and number into them: searches one
    after another, in languages with and without stemming, with and without a filter or
    a number, each read what the list's queryset itself reads."""
    target = acme_history[7]
    texts = ["api tok", "overnight", "api", "export", target.number, str(int(target.number[3:]))]
    for user, language, text, status in [
        (user, language, text, status)
        for user in (brand_admin, standard_user)
        for language in ("en", "ja", "fr")
        for text in texts
        for status in ("", "solved")
    ]:
        filters = HistoryFilters(text=text, status=status, sort=HistorySort.OLDEST)
        expected = list(
            filtered_history(user, filters, language=language)
            .order_by("created_at", "pk")
            .values_list("number", flat=True)
        )
        page = ticket_history_page(user, filters, language=language, page_size=4)
        assert [row.number for row in page.tickets] == expected[:4], (user, language, text)
        assert page.count == len(expected)
        if len(expected) > 4:
            assert page.next_cursor is not None
            later = ticket_history_page(
                user, filters, language=language, cursor=page.next_cursor, page_size=4
            )
            assert [row.number for row in later.tickets] == expected[4:8]
            assert later.count == len(expected)


@pytest.mark.django_db
def test_a_new_comment_is_found_by_search_at_once(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    _as(client, standard_user)
    assert _numbers(client.get("/hub/tickets/", {"q": "zebra"})) == []
    client.post(f"/hub/tickets/{own_ticket.number}/comments/", {"body": "A zebra-striped chart"})
    assert _numbers(client.get("/hub/tickets/", {"q": "zebra"})) == [own_ticket.number]


# --- Keyset paging ---------------------------------------------------------------------------


def _walk(user: User, filters: HistoryFilters, *, page_size: int) -> list[str]:
    """Follow the next links from the first page to the last."""
    seen: list[str] = []
    cursor: Cursor | None = None
    while True:
        page = ticket_history_page(user, filters, language="en", cursor=cursor, page_size=page_size)
        seen += [ticket.number for ticket in page.tickets]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.django_db
@pytest.mark.parametrize("sort", list(HistorySort))
def test_next_and_previous_pages_visit_every_ticket_once_in_order(
    brand_admin: User, acme_history: list[Ticket], sort: HistorySort
) -> None:
    filters = HistoryFilters(sort=sort)
    expected = sorted(
        acme_history,
        key=lambda t: (getattr(t, sort.key), t.pk),
        reverse=sort.descending,
    )
    assert _walk(brand_admin, filters, page_size=5) == [t.number for t in expected]
    # From the last page, the previous links lead back through the same pages.
    page = ticket_history_page(brand_admin, filters, language="en", page_size=5)
    pages = [page]
    while page.next_cursor is not None:
        page = ticket_history_page(
            brand_admin, filters, language="en", cursor=page.next_cursor, page_size=5
        )
        pages.append(page)
    for earlier in reversed(pages[:-1]):
        assert page.previous_cursor is not None
        page = ticket_history_page(
            brand_admin, filters, language="en", cursor=page.previous_cursor, page_size=5
        )
        assert [t.number for t in page.tickets] == [t.number for t in earlier.tickets]
    assert page.previous_cursor is None


@pytest.mark.django_db
@hypothesis_settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=25),
    page_size=st.integers(min_value=1, max_value=7),
)
def test_paging_is_exact_even_when_many_tickets_share_a_creation_time(
    brand_admin: User, standard_user: User, offsets: list[int], page_size: int
) -> None:
    Ticket.objects.all().delete()
    tickets = tickets_bulk([standard_user], len(offsets), start=START, with_events=False)
    for ticket, offset in zip(tickets, offsets, strict=True):
        ticket.created_at = START + timedelta(minutes=offset)  # ties on purpose
    Ticket.objects.bulk_update(tickets, ["created_at"])
    expected = sorted(tickets, key=lambda t: (t.created_at, t.pk), reverse=True)
    walked = _walk(brand_admin, HistoryFilters(), page_size=page_size)
    assert walked == [t.number for t in expected]


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.sampled_from(["", "open", Status.SOLVED, Status.CLOSED, Status.QUEUED]),
    channel=st.sampled_from(["", Channel.PHONE, Channel.EMAIL, Channel.CONFERENCE]),
    area=st.sampled_from([None, 0, 2]),
    asked_by=st.sampled_from([None, "standard_user", "colleague"]),
    created_from=st.sampled_from([None, 30, 120]),
    created_before=st.sampled_from([None, 90, 200]),
    reader=st.sampled_from(["brand_admin", "standard_user"]),
    page_size=st.integers(min_value=1, max_value=7),
)
def test_every_shape_of_filters_pages_and_counts_exactly_what_the_export_finds(
    brand_admin: User,
    standard_user: User,
    colleague: User,
    acme_history: list[Ticket],
    status: str,
    channel: str,
    area: int | None,
    asked_by: str | None,
    created_from: int | None,
    created_before: int | None,
    reader: str,
    page_size: int,
) -> None:
    """The list reads its filters through statements compiled once per shape of filters;
    the export builds the same filters' query anew: both find the same tickets."""
    people = {"brand_admin": brand_admin, "standard_user": standard_user, "colleague": colleague}
    filters = HistoryFilters(
        status=status,
        channel=channel,
        area_id=acme_history[area].product_area_id if area is not None else None,
        requester_id=people[asked_by].pk if asked_by else None,
        created_from=START + timedelta(minutes=created_from) if created_from else None,
        created_before=START + timedelta(minutes=created_before) if created_before else None,
    )
    user = people[reader]
    expected = [
        ticket.number
        for ticket in filtered_history(user, filters, language="en").order_by("-created_at", "-pk")
    ]
    assert _walk(user, filters, page_size=page_size) == expected
    page = ticket_history_page(user, filters, language="en", page_size=page_size)
    assert page.count == len(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", list(HistorySort))
@pytest.mark.parametrize("reader", ["brand_admin", "standard_user"])
@pytest.mark.parametrize("cap", [3, 500])
def test_a_search_in_any_order_pages_and_counts_exactly_its_matches_up_to_the_cap(
    brand_admin: User,
    standard_user: User,
    acme_history: list[Ticket],
    monkeypatch: pytest.MonkeyPatch,
    sort: HistorySort,
    reader: str,
    cap: int,
) -> None:
    """A search is counted in the list's order, so that the database can stop at the cap:
    in every order the count is the number of matches, or one past the cap."""
    import tickets.selectors

    monkeypatch.setattr(tickets.selectors, "HISTORY_SEARCH_COUNT_CAP", cap)
    user = {"brand_admin": brand_admin, "standard_user": standard_user}[reader]
    filters = HistoryFilters(text="reminder emails", sort=sort)
    expected = [
        ticket.number
        for ticket in sorted(
            (
                ticket
                for ticket in acme_history
                if "Reminder emails" in ticket.subject
                and (reader == "brand_admin" or ticket.requester_id == user.pk)
            ),
            key=lambda t: (getattr(t, sort.key), t.pk),
            reverse=sort.descending,
        )
    ]
    assert len(expected) > (3 if reader == "brand_admin" else 0)
    assert _walk(user, filters, page_size=2) == expected
    page = ticket_history_page(user, filters, language="en", page_size=2)
    assert page.count == min(len(expected), cap + 1)


@pytest.mark.django_db
def test_a_broken_cursor_in_a_link_shows_the_first_page(
    client: Client, brand_admin: User, acme_history: list[Ticket]
) -> None:
    _as(client, brand_admin)
    first = _numbers(client.get("/hub/tickets/"))
    for bad in ("x", "12.", ".5", "99999999999999999999999999.1", "-1.-1"):
        assert _numbers(client.get("/hub/tickets/", {"after": bad})) == first


@pytest.mark.django_db
def test_the_next_link_keeps_the_filters_and_htmx_gets_only_the_results(
    client: Client, brand_admin: User, standard_user: User
) -> None:
    tickets_bulk([standard_user], 120, start=START)
    _as(client, brand_admin)
    response = client.get("/hub/tickets/", {"channel": "email"})
    next_url = response.context["next_url"]
    assert "channel=email" in next_url and "after=" in next_url
    partial = client.get("/hub/tickets/" + next_url, headers={"HX-Request": "true"})
    html = _text(partial)
    assert "<html" not in html and 'id="results-count"' in html
    assert {t.channel for t in partial.context["page"].tickets} == {Channel.EMAIL}


# --- Query counts: the same at 10 and at 1,000 tickets ------------------------------------


def _queries(client: Client, url: str, **kwargs: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return len(captured)


# User, membership (with its organisation); then each page's own reads (the session is read
# from its copy on Redis and not saved). The product areas' names come from routing's
# configuration, and the brand administrator's list of members to filter by is built once
# per process until a member changes.
# The ticket page measures the phone handle times for its wait even when nobody is on shift;
# its callback is read with the ticket, its product area's name in the reader's language
# comes from the configuration, and a ticket whose timeline names no files reads none.
LIST_QUERIES = {"brand_admin": SESSION_QUERIES + 4, "standard_user": SESSION_QUERIES + 4}
DETAIL_QUERIES = SESSION_QUERIES + 6


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["brand_admin", "standard_user"])
def test_the_list_makes_the_same_queries_at_300_and_at_1000_tickets(
    client: Client, standard_user: User, brand_admin: User, colleague: User,
    product_areas: list[ProductArea], who: str,
) -> None:  # fmt: skip
    viewer = {"brand_admin": brand_admin, "standard_user": standard_user}[who]
    _as(client, viewer)
    counts = []
    for total in (300, 1000):
        Ticket.objects.all().delete()
        tickets_bulk([standard_user, colleague], total, start=START, areas=product_areas)
        page = client.get("/hub/tickets/").context["next_url"]
        counts.append(
            (
                _queries(client, "/hub/tickets/"),
                _queries(client, "/hub/tickets/", query_params={"q": "export", "status": "open"}),
                _queries(client, "/hub/tickets/" + page),
            )
        )
    # A search's first page reads its rows beside its capped count: one query for both.
    assert counts[0] == counts[1] == (LIST_QUERIES[who], LIST_QUERIES[who] - 1, LIST_QUERIES[who])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["brand_admin", "standard_user"])
def test_a_list_that_fits_its_first_page_is_counted_from_its_rows(
    client: Client, standard_user: User, brand_admin: User, colleague: User,
    product_areas: list[ProductArea], who: str,
) -> None:  # fmt: skip
    viewer = {"brand_admin": brand_admin, "standard_user": standard_user}[who]
    _as(client, viewer)
    tickets_bulk([standard_user, colleague], 10, start=START, areas=product_areas)
    shown = Ticket.objects.filter(requester=standard_user).count() if who == "standard_user" else 10

    page = client.get("/hub/tickets/").context["page"]
    assert _queries(client, "/hub/tickets/") == LIST_QUERIES[who] - 1
    assert (page.count, len(page.tickets), page.next_cursor) == (shown, shown, None)
    narrowed = client.get("/hub/tickets/", query_params={"status": "open"}).context["page"]
    open_shown = Ticket.objects.filter(
        pk__in=[row.pk for row in page.tickets], status__in=OPEN_STATUSES
    ).count()
    assert narrowed.count == len(narrowed.tickets) == open_shown


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "narrowed",
    [
        {"status": "open"},
        {"status": Status.CLOSED, "channel": Channel.CONFERENCE},
        {"channel": Channel.PHONE},
        {"area": 0},
        {"requester": 0},
        {"created_from": START, "created_before": START + timedelta(days=2)},
        {"status": "open", "channel": Channel.PHONE, "area": 0, "requester": 0},
    ],
    ids=["status", "status and channel", "channel", "area", "requester", "dates", "all"],
)
def test_a_brand_administrators_filtered_list_is_counted_from_an_index_alone(
    brand_admin: User, standard_user: User, acme_history: list[Ticket], narrowed: dict[str, Any]
) -> None:
    """Counting what a filter finds reads no table rows, however many tickets there are:
    every column the filters and the visibility rule read is in one index."""
    values = dict(narrowed)
    if "area" in values:
        values["area_id"] = acme_history[0].product_area_id
        del values["area"]
    if "requester" in values:
        values["requester_id"] = standard_user.pk
        del values["requester"]
    filters = HistoryFilters(**values)
    with CaptureQueriesContext(connection) as captured:
        page = ticket_history_page(brand_admin, filters, language="en", page_size=1)
    assert page.count > 1
    counts = [query["sql"] for query in captured if "COUNT(" in query["sql"]]
    assert len(counts) == 1
    with connection.cursor() as cursor:
        # The tickets as autovacuum leaves them: on pages marked all-visible, which an
        # index-only scan reads no rows of (committed, since VACUUM runs outside one).
        cursor.execute("VACUUM ANALYZE tickets_ticket")
    with transaction.atomic(), connection.cursor() as cursor:
        # The table is tiny here, so the planner would rightly read it whole.
        for scan in ("seqscan", "bitmapscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(f"EXPLAIN {counts[0]}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using ticket_org_filters" in plan, plan


@pytest.mark.django_db
def test_the_ticket_page_and_export_make_the_same_queries_at_10_and_at_1000_tickets(
    client: Client, standard_user: User, brand_admin: User, product_areas: list[ProductArea]
) -> None:
    counts = []
    for total in (10, 1000):
        Ticket.objects.all().delete()
        tickets = tickets_bulk([standard_user], total, start=START, areas=product_areas)
        phone = next(t for t in tickets if t.channel == Channel.PHONE)
        callback_enqueue(ticket_id=phone.pk)
        # Areas, hours and the roster are read once per change, not per request.
        current_configuration()
        _as(client, standard_user)
        detail = _queries(client, f"/hub/tickets/{phone.number}/")
        _as(client, brand_admin)
        _queries(client, "/hub/tickets/export.csv")  # builds the list of members, once
        export = _queries(client, "/hub/tickets/export.csv")
        codes = _queries(client, "/hub/tickets/export.csv", query_params={"codes": "1"})
        counts.append((detail, export, codes))
    assert counts[0] == counts[1]
    assert counts[0][0] == DETAIL_QUERIES
    # Labels come from the choices and the areas already read: no query of their own.
    assert counts[0][1] == counts[0][2]


# --- Export ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_export_is_the_filtered_list_as_csv_in_the_users_zone(
    client: Client, brand_admin: User, acme_history: list[Ticket]
) -> None:
    brand_admin.time_zone = "Europe/Rome"
    brand_admin.save()
    response = _as(client, brand_admin).get(
        "/hub/tickets/export.csv", {"channel": "phone", "sort": "oldest"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="requests-')
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeffNumber,Subject,Product area")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    phones = [t for t in acme_history if t.channel == Channel.PHONE]
    assert [row[0] for row in rows[1:]] == [t.number for t in phones]
    made = datetime.fromisoformat(rows[1][8])
    assert made.utcoffset() == timedelta(hours=2)  # Rome in summer
    assert made == phones[0].created_at.astimezone(ZoneInfo("Europe/Rome"))


def _export_rows(client: Client, **params: str) -> list[list[str]]:
    response = client.get("/hub/tickets/export.csv", params)
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


@pytest.fixture
def account_services_ticket(standard_user: User, surveys_area: ProductArea) -> Ticket:
    return ticket_create(
        requester=standard_user,
        channel=Channel.WEB,
        team=Team.ACCOUNT_SERVICES,
        subject="Renewal quote for next year",
        product_area=surveys_area,
        language="en",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "it", "fr"])
def test_the_export_writes_labels_in_the_readers_language_never_codes(
    client: Client, brand_admin: User, account_services_ticket: Ticket, language: str
) -> None:
    brand_admin.preferred_language = language
    brand_admin.save()
    header, row = _export_rows(_as(client, brand_admin))
    with translation.override(language):
        expected = [
            ProductArea.objects.get(slug="surveys-xm-directory").localized_name,
            str(Channel.WEB.label),
            str(Status.NEW.label),
            str(Team.ACCOUNT_SERVICES.label),
            {"en": "English", "it": "Inglese", "fr": "Anglais"}[language],
        ]
        columns = [
            translation.gettext(name)
            for name in ("Product area", "Contact method", "Status", "Team", "Language")
        ]
    assert header[2:7] == columns
    assert row[2:7] == expected
    assert not {"account_services", "new", "web", "en"} & set(row)


@pytest.mark.django_db
def test_the_export_with_codes_writes_the_stable_codes_and_says_so_in_the_header(
    client: Client, brand_admin: User, account_services_ticket: Ticket
) -> None:
    header, row = _export_rows(_as(client, brand_admin), codes="1")
    assert header == [
        "Number",
        "Subject",
        "Product area (code)",
        "Contact method (code)",
        "Status (code)",
        "Team (code)",
        "Language (code)",
        "Requested by",
        "Made",
        "Last update",
    ]
    assert row[:7] == [
        account_services_ticket.number,
        "Renewal quote for next year",
        "surveys-xm-directory",
        "web",
        "new",
        "account_services",
        "en",
    ]


@pytest.mark.django_db
def test_the_list_offers_the_export_with_codes_for_the_same_filters(
    client: Client, brand_admin: User, acme_history: list[Ticket]
) -> None:
    html = _text(_as(client, brand_admin).get("/hub/tickets/", {"channel": "phone"}))
    assert 'href="/hub/tickets/export.csv?channel=phone"' in html
    assert 'href="/hub/tickets/export.csv?channel=phone&amp;codes=1"' in html
    assert "CSV with codes instead of labels, for spreadsheets" in html


@pytest.mark.django_db
def test_the_export_defuses_cells_a_spreadsheet_would_run(
    client: Client, brand_admin: User, standard_user: User
) -> None:
    ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject='=HYPERLINK("http://evil.example","click")',
    )
    body = b"".join(
        _as(client, brand_admin).get("/hub/tickets/export.csv").streaming_content
    ).decode()
    assert "'=HYPERLINK" in body


@pytest.mark.django_db
def test_an_export_with_bad_filters_sends_the_administrator_back_to_the_explained_list(
    client: Client, brand_admin: User
) -> None:
    response = _as(client, brand_admin).get("/hub/tickets/export.csv", {"created_from": "soon"})
    assert response.status_code == 302
    assert response["Location"] == "/hub/tickets/?created_from=soon"


# --- The ticket page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_ticket_page_shows_status_consents_queue_place_and_timeline(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    response = _as(client, standard_user).get(f"/hub/tickets/{own_ticket.number}/")
    html = _text(response)
    assert "Queued" in html
    assert "You are number 1 in the queue for a callback." in html
    assert "Support may log into the account if they need to" in html
    assert "The call may be recorded" in html
    titles = [entry.title for entry in response.context["timeline"]]
    assert titles[:2] == ["Request made", "Joined the callback queue"]
    assert 'hx-get="/hub/tickets/' in html and 'hx-trigger="every 15s"' in html


@pytest.mark.django_db
def test_the_ticket_page_names_its_product_area_in_the_readers_language(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    area = ProductArea.objects.get(slug="surveys-xm-directory")
    german = area.translations.get(language="de").name
    assert german != area.name
    standard_user.preferred_language = "de"
    standard_user.save(update_fields=["preferred_language"])
    html = _text(_as(client, standard_user).get(f"/hub/tickets/{own_ticket.number}/"))
    assert f"<dd>{escape(german)}</dd>" in html
    Ticket.objects.filter(pk=own_ticket.pk).update(product_area=None)
    html = _text(client.get(f"/hub/tickets/{own_ticket.number}/"))
    assert "Produktbereich" not in html and escape(german) not in html


@pytest.mark.django_db
def test_a_brand_administrator_reads_a_colleagues_ticket_but_cannot_act_on_it(
    client: Client, brand_admin: User, own_ticket: Ticket
) -> None:
    html = _text(_as(client, brand_admin).get(f"/hub/tickets/{own_ticket.number}/"))
    assert "Sam Carter" in html
    assert "Add comment" not in html
    assert "Withdraw permission" not in html
    assert "Close this request" not in html


@pytest.mark.django_db
def test_the_queue_fragment_stops_polling_once_the_callback_is_taken(
    client: Client, standard_user: User, own_ticket: Ticket, agent: User
) -> None:
    _as(client, standard_user)
    url = f"/hub/tickets/{own_ticket.number}/queue/"
    assert "number 1 in the queue" in _text(client.get(url, headers={"HX-Request": "true"}))
    CallbackRequest.objects.filter(ticket=own_ticket).update(taken_at=START, taken_by=agent)
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 286
    assert "no longer waiting" in _text(response)
    assert client.get(url).status_code == 302  # without htmx: the page itself


@pytest.mark.django_db
def test_a_comment_is_added_once_however_often_it_is_sent(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    _as(client, standard_user)
    data = {"body": "The reminder went out again this morning.", "idempotency_key": "a" * 32}
    first = client.post(f"/hub/tickets/{own_ticket.number}/comments/", data)
    client.post(f"/hub/tickets/{own_ticket.number}/comments/", data)
    assert first.status_code == 302
    assert first["Location"] == f"/hub/tickets/{own_ticket.number}/#activity"
    comments = own_ticket.events.filter(kind=EventKind.COMMENT)
    assert [event.message for event in comments] == [data["body"]]


@pytest.mark.django_db
def test_a_comment_over_htmx_redraws_the_timeline_with_a_fresh_form(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    _as(client, standard_user)
    response = client.post(
        f"/hub/tickets/{own_ticket.number}/comments/",
        {"body": "Added from the page"},
        headers={"HX-Request": "true"},
    )
    html = _text(response)
    assert "<html" not in html
    assert "Added from the page" in html
    assert 'name="body"' in html and ">Added from the page</textarea>" not in html


@pytest.mark.django_db
def test_an_empty_comment_is_explained_and_adds_nothing(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    response = _as(client, standard_user).post(
        f"/hub/tickets/{own_ticket.number}/comments/", {"body": "   "}
    )
    html = _text(response)
    assert response.status_code == 200
    assert "There is a problem" in html and "Write your comment" in html
    assert not own_ticket.events.filter(kind=EventKind.COMMENT).exists()


@pytest.mark.django_db
def test_the_comment_box_speaks_the_readers_language_and_shows_only_its_own_error(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    """The empty box is drawn once per language; a box with an error is drawn for itself."""
    url = f"/hub/tickets/{own_ticket.number}/"
    _as(client, standard_user)

    def box(html: str) -> str:
        return html[html.index('<div class="field') : html.index("</textarea>")]

    empty = box(_text(client.get(url)))
    assert "Add a comment" in empty and "aria-invalid" not in empty
    refused = box(_text(client.post(f"{url}comments/", {"body": "   "})))
    assert "Write your comment" in refused and 'aria-invalid="true"' in refused
    assert box(_text(client.get(url))) == empty
    standard_user.preferred_language = "fr"
    standard_user.save(update_fields=["preferred_language"])
    french = box(_text(client.get(url)))
    assert "Ajouter un commentaire" in french and "aria-invalid" not in french
    refused = box(_text(client.post(f"{url}comments/", {"body": ""})))
    assert "Écrivez votre commentaire" in refused and 'aria-invalid="true"' in refused
    assert box(_text(client.get(url))) == french


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("reader", "zone", "shown", "machine"),
    [
        ("requester", "Asia/Tokyo", "21:00", "2026-07-01T21:00:00+09:00"),
        ("requester", "America/Denver", "06:00", "2026-07-01T06:00:00-06:00"),
        ("agent", "Europe/Rome", "14:00", "2026-07-01T14:00:00+02:00"),
        ("agent", "Australia/Adelaide", "21:30", "2026-07-01T21:30:00+09:30"),
    ],
)
def test_the_timeline_gives_each_moment_in_the_readers_zone_to_eyes_and_machines(
    client: Client,
    standard_user: User,
    agent: User,
    own_ticket: Ticket,
    reader: str,
    zone: str,
    shown: str,
    machine: str,
) -> None:
    """The customer's ticket page and the agents' admin draw the same timeline: the time a
    person reads and the ``datetime`` a screen reader or script reads are the same moment,
    in the reader's own zone."""
    own_ticket.events.update(created_at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    user = standard_user if reader == "requester" else agent
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
    url = (
        f"/hub/tickets/{own_ticket.number}/"
        if reader == "requester"
        else reverse("admin:tickets_ticket_change", args=[own_ticket.pk])
    )
    html = _text(_as(client, user).get(url))
    timeline = html[html.index('<ol class="timeline">') :]
    moments = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', timeline)
    assert moments, "the timeline has entries"
    for attribute, text in moments:
        assert attribute == machine
        assert shown in text


@pytest.mark.django_db
def test_closing_a_waiting_callback_takes_it_out_of_the_queue_and_the_next_moves_up(
    client: Client,
    standard_user: User,
    colleague: User,
    own_ticket: Ticket,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    behind = ticket_create(
        requester=colleague,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Also waiting",
        product_area=own_ticket.product_area,
        language="en",
        phone_number="+390612345679",
    )
    callback_enqueue(ticket_id=behind.pk)
    _as(client, standard_user)
    page = _text(client.get(f"/hub/tickets/{own_ticket.number}/close/"))
    assert "Close this request?" in page and "nobody will call you" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/hub/tickets/{own_ticket.number}/close/")
    assert response.status_code == 302
    own_ticket.refresh_from_db()
    assert own_ticket.status == Status.CLOSED
    assert not CallbackRequest.objects.filter(ticket=own_ticket).exists()
    moved = behind.events.filter(kind=EventKind.POSITION_CHANGED).get()
    assert moved.data == {"position": 1}
    html = _text(client.get(f"/hub/tickets/{own_ticket.number}/"))
    assert "Callback request withdrawn" in html
    assert "Add comment" not in html and "This request is closed" in html
    refused = client.post(
        f"/hub/tickets/{own_ticket.number}/comments/", {"body": "Hello?"}, follow=True
    )
    assert "This ticket is closed. Open a new request instead." in _text(refused)
    assert not own_ticket.events.filter(kind=EventKind.COMMENT).exists()


@pytest.mark.django_db
def test_the_requester_withdraws_permission_to_log_into_the_account(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    _as(client, standard_user)
    response = client.post(
        f"/hub/tickets/{own_ticket.number}/account-access/", {"allowed": "no"}, follow=True
    )
    own_ticket.refresh_from_db()
    assert not own_ticket.account_access_allowed
    html = _text(response)
    assert "Support may no longer log into your account for this request." in html
    assert "Permission withdrawn" in html
    assert "Allow support to log into my account" in html
    event = own_ticket.events.filter(kind=EventKind.STATUS_CHANGED, data__account_access=False)
    assert event.exists()


@pytest.mark.django_db
def test_a_nonsense_access_choice_changes_nothing(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    _as(client, standard_user).post(
        f"/hub/tickets/{own_ticket.number}/account-access/", {"allowed": "maybe"}
    )
    own_ticket.refresh_from_db()
    assert own_ticket.account_access_allowed
    assert TicketEvent.objects.filter(ticket=own_ticket).count() == 2  # created, queued


@pytest.mark.django_db
def test_the_timeline_tells_an_italian_reader_in_italian(
    client: Client, standard_user: User, own_ticket: Ticket
) -> None:
    standard_user.preferred_language = "it"
    standard_user.save()
    response = _as(client, standard_user).get(
        f"/hub/tickets/{own_ticket.number}/", headers={"Accept-Language": "it"}
    )
    titles = [entry.title for entry in response.context["timeline"]]
    assert titles[:2] == ["Richiesta inviata", "Entrata nella coda delle richiamate"]


# --- The timeline in words -------------------------------------------------------------------

TIMELINE_TABLE: list[tuple[str, dict[str, Any], str, str, str]] = [
    # kind, data, message, title, detail
    ("created", {}, "", "Request made", "Contact method: Phone callback."),
    ("queued", {"position": 3}, "", "Joined the callback queue", "Number 3 in the queue."),
    ("position_changed", {"position": 2}, "", "Moved up the queue", "Now number 2 in the queue."),
    ("called_back", {"agent": "Ana Silva"}, "", "Called back", "An agent took the callback."),
    ("email_sent", {"email": "confirmation"}, "", "Confirmation email sent", ""),
    ("email_sent", {"email": "verify", "link": 1}, "", "Verify & Confirm email sent", ""),
    ("email_sent", {"email": "transcript", "request": 1}, "", "Chat transcript emailed", ""),
    ("email_reply", {"source": "email"}, "Thanks!", "Reply by email", ""),
    ("comment", {"by_staff": True}, "Try this", "Reply from support", ""),
    ("comment", {"attachments": ["a.png", "b.csv"]}, "", "Files attached", "a.png, b.csv"),
    ("status_changed", {"old": "queued", "new": "in_progress"}, "", "Status changed",
     "From “Queued” to “In progress”."),
    # A status the hub no longer has is shown as it was stored.
    ("status_changed", {"old": "retired", "new": "solved"}, "", "Status changed",
     "From “retired” to “Solved”."),
    ("status_changed", {"old": "customer_reply", "new": "in_progress"}, "", "Reopened",
     "The reply reopened the request."),
    ("status_changed", {"account_access": False}, "Permission to log into the account withdrawn",
     "Permission withdrawn", "Support may no longer log into the account."),
    ("status_changed", {"assigned_to": 9}, "Assigned to Ana", "Assigned",
     "An agent is looking after this request."),
    ("status_changed", {"callback": "withdrawn"}, "", "Callback request withdrawn",
     "The request was closed before the call."),
    ("handover", {"team": "enterprise"}, "", "Handed over",
     "Enterprise Support took over from general support."),
    ("verified", {"account_access": True}, "", "Verified",
     "Confirmed; support may log into the account."),
    ("chat_accepted", {"agent": "Ana Silva"}, "", "Chat answered", "An agent joined the chat."),
    ("chat_message", {"chat_message": 1, "by_staff": False}, "Hello there", "Chat message", ""),
    ("chat_ended", {"reason": "agent", "messages": 4}, "", "Chat ended",
     "The agent ended the chat"),
    ("channel_changed", {"from": "chat", "to": "email"}, "", "Contact method changed",
     "From Chat to Email."),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "data", "message", "title", "detail"), TIMELINE_TABLE)
def test_each_timeline_event_reads_as_a_sentence_and_only_peoples_words_are_quoted(
    own_ticket: Ticket,
    standard_user: User,
    agent: User,
    kind: str,
    data: dict[str, Any],
    message: str,
    title: str,
    detail: str,
) -> None:
    from tickets.timeline import timeline_entries

    actor = agent if kind in ("called_back", "comment") and data.get("by_staff") else None
    event = TicketEvent(
        ticket=own_ticket, kind=kind, data=data, message=message, actor=actor, created_at=START
    )
    with translation.override("en"):
        (entry,) = timeline_entries(own_ticket, [event], viewer=standard_user)
    assert (entry.title, entry.detail) == (title, detail)
    quoted = kind in ("comment", "email_reply", "chat_message")
    assert entry.message == (message if quoted else "")
    if actor is not None:
        assert entry.by_support and entry.by == "an agent (support)"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "data", "detail"),
    [
        ("created", {}, "Kontaktweg: Telefonischer Rückruf."),
        (
            "status_changed",
            {"old": "queued", "new": "in_progress"},
            "Von „In der Warteschlange“ zu „In Bearbeitung“.",
        ),
    ],
)
def test_the_timeline_names_contact_methods_and_statuses_in_the_readers_language(
    own_ticket: Ticket, standard_user: User, kind: str, data: dict[str, Any], detail: str
) -> None:
    from tickets.timeline import timeline_entries

    event = TicketEvent(ticket=own_ticket, kind=kind, data=data, created_at=START)
    with translation.override("en"):
        (english,) = timeline_entries(own_ticket, [event], viewer=standard_user)
    with translation.override("de"):
        (german,) = timeline_entries(own_ticket, [event], viewer=standard_user)
    assert german.detail == detail
    # The labels are looked up per language, not kept from the first reader.
    assert english.detail != german.detail


@pytest.mark.parametrize(
    ("language", "articles"),
    [
        ("en", "Articles: Reminders"),
        # French puts a space before the colon, Japanese writes a full-width one.
        ("fr", "Articles : Reminders"),
        ("ja", "記事： Reminders"),
    ],
)
@pytest.mark.django_db
def test_the_ticket_page_shows_the_assistant_conversation_with_its_articles_in_the_readers_language(
    client: Client, own_ticket: Ticket, standard_user: User, language: str, articles: str
) -> None:
    assistant_turn_attach(
        own_ticket,
        question="Why do finished respondents get reminders?",
        answer="Reminders go to everyone who has not finished.",
        article=("Reminders", "/support/articles/reminders/"),
        feedback="no",
    )
    client.cookies["django_language"] = language
    page = _text(_as(client, standard_user).get(f"/hub/tickets/{own_ticket.number}/"))
    transcript = page[page.index('class="assistant-turns"') :]
    assert "Why do finished respondents get reminders?" in transcript
    assert strip_tags(transcript).count(articles) == 1
    assert '<a href="/support/articles/reminders/">Reminders</a>' in transcript


@pytest.mark.django_db
def test_a_brand_administrator_sees_that_a_chat_happened_but_not_what_was_written(
    client: Client, standard_user: User, brand_admin: User
) -> None:
    chat = ticket_create(
        requester=standard_user, channel=Channel.CHAT, team=Team.TECHNICAL, subject="Chat"
    )
    TicketEvent.objects.create(
        ticket=chat, kind=EventKind.CHAT_MESSAGE, actor=standard_user, message="My secret plan"
    )
    TicketEvent.objects.create(
        ticket=chat, kind=EventKind.CHAT_ENDED, data={"reason": "customer", "messages": 1}
    )
    own = _text(_as(client, standard_user).get(f"/hub/tickets/{chat.number}/"))
    assert "My secret plan" in own
    admins = _text(_as(client, brand_admin).get(f"/hub/tickets/{chat.number}/"))
    assert "My secret plan" not in admins
    assert "Only the person who chatted can read the conversation." in admins


@pytest.mark.django_db
def test_beyond_the_count_cap_the_list_says_more_than_rather_than_counting_everything(
    client: Client, brand_admin: User, standard_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tickets.selectors

    monkeypatch.setattr(tickets.selectors, "HISTORY_COUNT_CAP", 5)
    tickets_bulk([standard_user], 6, start=START)
    html = _text(_as(client, brand_admin).get("/hub/tickets/"))
    assert "More than 5 requests" in html
    html = _text(client.get("/hub/tickets/", {"channel": "email"}))
    assert "2 requests match your filters" in html


@pytest.mark.django_db
def test_a_search_counts_to_a_hundred_matches_while_the_list_counts_to_five_hundred(
    client: Client, brand_admin: User, standard_user: User
) -> None:
    tickets_bulk([standard_user], 120, start=START)
    listed = _as(client, brand_admin).get("/hub/tickets/")
    assert "120 requests" in _text(listed)
    searched = client.get("/hub/tickets/", {"q": "steps to reproduce"})
    assert "More than 100 requests match your filters" in _text(searched)
    assert len(_numbers(searched)) == 25
    narrower = client.get("/hub/tickets/", {"q": "steps to reproduce", "channel": "email"})
    assert "30 requests match your filters" in _text(narrower)
