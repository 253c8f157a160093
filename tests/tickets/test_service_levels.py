"""Service-level targets on tickets: stored due times, first responses, the agents' list, and
the missed targets counted per queue and day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hub.accounts.models import Organisation, User
from routing.models import Agent, ProductArea
from tickets.chat.services import (
    chat_accept,
    chat_presence_set,
    chat_start,
    chat_switch_to_email,
)
from tickets.models import Channel, ServiceLevelTarget, Status, Team, Ticket
from tickets.selectors import BreachCount, breaches_by_queue_and_day
from tickets.services import (
    callback_enqueue,
    callback_take_next,
    service_level_targets_ensure_defaults,
    ticket_assign,
    ticket_create,
    ticket_reply,
    ticket_transition,
)

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(autouse=True)
def _targets(db: None) -> None:
    # The migration made them; a browser test before this one may have flushed them.
    service_level_targets_ensure_defaults()


@pytest.fixture
def rostered_agent(agent: User) -> User:
    Agent.objects.create(
        user=agent, team="general", languages=["en", "de"], available_for_chat=True
    )
    agent.time_zone = "Europe/Rome"
    agent.save(update_fields=["time_zone"])
    return agent


@pytest.fixture
def agent_client(client: Client, rostered_agent: User) -> Client:
    client.force_login(rostered_agent)
    return client


def email_ticket(user: User, *, subject: str = "Export fails", language: str = "en") -> Ticket:
    return ticket_create(
        requester=user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject=subject,
        language=language,
    )


def about(moment: datetime | None, expected: datetime) -> bool:
    """The due times count from the moment the request was handled, a few milliseconds
    before the row's ``created_at`` is stamped."""
    return moment is not None and abs(moment - expected) < timedelta(seconds=1)


def due_in_the_past(ticket: Ticket, *, hours_ago: float, first_response: bool = True) -> Ticket:
    """Move a ticket back in time: as if it was made ``hours_ago`` with the same targets."""
    shift = timedelta(hours=hours_ago)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=ticket.created_at - shift,
        first_response_due_at=(ticket.first_response_due_at or ticket.created_at) - shift
        if first_response
        else ticket.first_response_due_at,
        resolution_due_at=(ticket.resolution_due_at or ticket.created_at) - shift,
    )
    ticket.refresh_from_db()
    return ticket


# --- Defaults and the stored due times ------------------------------------------------------


def test_every_licence_and_channel_has_a_target_and_ensuring_twice_changes_nothing() -> None:
    assert ServiceLevelTarget.objects.count() == 15
    target = ServiceLevelTarget.objects.get(licence_tier="standard", channel="email")
    target.first_response_minutes = 99
    target.save()
    assert service_level_targets_ensure_defaults() == 0
    target.refresh_from_db()
    assert target.first_response_minutes == 99  # an operator's change is kept


def test_a_new_ticket_stores_its_due_times_from_its_licence_and_channel(
    standard_user: User, seat_holder: User
) -> None:
    standard = email_ticket(standard_user)
    # English email is staffed all week: four hours and forty hours on the calendar.
    assert about(standard.first_response_due_at, standard.created_at + timedelta(hours=4))
    assert about(standard.resolution_due_at, standard.created_at + timedelta(hours=40))
    enterprise = ticket_create(
        requester=seat_holder, channel=Channel.CHAT, team=Team.TECHNICAL, subject="Stuck"
    )
    assert about(enterprise.first_response_due_at, enterprise.created_at + timedelta(minutes=5))
    assert enterprise.first_response_due_at and standard.first_response_due_at
    assert enterprise.first_response_due_at < standard.first_response_due_at


def test_a_german_email_is_due_in_german_office_hours(standard_user: User) -> None:
    ticket = email_ticket(standard_user, language="de")
    assert ticket.first_response_due_at is not None
    local = ticket.first_response_due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.weekday() < 5 and (8, 0) <= (local.hour, local.minute) <= (16, 30)


def test_a_licence_and_channel_without_a_target_has_no_due_time(standard_user: User) -> None:
    ServiceLevelTarget.objects.filter(licence_tier="standard", channel="email").delete()
    ticket = email_ticket(standard_user)
    assert ticket.first_response_due_at is None and ticket.resolution_due_at is None


def test_an_operator_s_target_applies_to_tickets_made_afterwards(standard_user: User) -> None:
    ServiceLevelTarget.objects.filter(licence_tier="standard", channel="email").update(
        first_response_minutes=30, business_hours_only=False
    )
    ticket = email_ticket(standard_user)
    assert about(ticket.first_response_due_at, ticket.created_at + timedelta(minutes=30))


# --- The first response ---------------------------------------------------------------------


def test_the_first_reply_is_the_first_response_and_a_later_one_changes_nothing(
    standard_user: User, agent: User
) -> None:
    ticket = email_ticket(standard_user)
    assert ticket.first_responded_at is None
    ticket_reply(ticket=ticket, agent=agent, body="Looking into it.")
    ticket.refresh_from_db()
    first = ticket.first_responded_at
    assert first is not None
    ticket_reply(ticket=ticket, agent=agent, body="Found it.")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == first


def test_taking_the_ticket_is_a_first_response(standard_user: User, agent: User) -> None:
    ticket = email_ticket(standard_user)
    ticket_assign(ticket=ticket, agent=agent, by=agent)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_taking_a_callback_is_its_first_response(standard_user: User, agent: User) -> None:
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Call me",
        language="en",
        phone_number="+442079460018",
    )
    callback_enqueue(ticket_id=ticket.pk)
    taken_at = timezone.now()
    callback_take_next(
        agent=agent, languages=["en"], area_ids=None, teams=["general"], now=taken_at
    )
    ticket.refresh_from_db()
    assert ticket.first_responded_at == taken_at


# --- The agents' list -----------------------------------------------------------------------


def test_the_list_shows_the_due_time_in_the_agent_s_zone_and_marks_a_missed_target(
    agent_client: Client, standard_user: User
) -> None:
    on_time = email_ticket(standard_user, subject="Fresh question")
    late = due_in_the_past(email_ticket(standard_user, subject="Old question"), hours_ago=5)
    page = agent_client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert "First response" in page
    due = on_time.first_response_due_at
    assert due is not None
    assert f'datetime="{due.isoformat()}"' in page  # the machine-readable moment, in UTC
    assert f"{due.astimezone(ROME):%H:%M}" in page  # the words, in the agent's zone
    rows = dict(_rows(page))
    assert "Target missed" in rows["Old question"]
    assert "Target missed" not in rows["Fresh question"]
    assert late.first_response_due_at is not None


def test_the_list_marks_a_target_due_within_the_hour(
    agent_client: Client, standard_user: User
) -> None:
    ticket = email_ticket(standard_user, subject="Nearly due")
    due_in_the_past(ticket, hours_ago=3.5)  # four hours' first response, half an hour left
    page = agent_client.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert "Due soon" in dict(_rows(page))["Nearly due"]


def test_the_filter_finds_missed_and_nearly_due_targets(
    agent_client: Client, standard_user: User, agent: User
) -> None:
    email_ticket(standard_user, subject="Fresh question")
    due_in_the_past(email_ticket(standard_user, subject="Old question"), hours_ago=5)
    due_in_the_past(email_ticket(standard_user, subject="Nearly due"), hours_ago=3.5)
    answered_late = due_in_the_past(
        email_ticket(standard_user, subject="Answered late"), hours_ago=5
    )
    ticket_reply(ticket=answered_late, agent=agent, body="Sorry for the wait.")
    url = reverse("admin:tickets_ticket_changelist")
    missed = dict(_rows(agent_client.get(url, {"service_level": "breached"}).content.decode()))
    assert set(missed) == {"Old question", "Answered late"}
    soon = dict(_rows(agent_client.get(url, {"service_level": "due_soon"}).content.decode()))
    assert set(soon) == {"Nearly due"}


def _rows(page: str) -> list[tuple[str, str]]:
    """(subject, the row's HTML) for each row of the changelist."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("<tr")[1:]:
        subject = row.split('class="field-subject">', 1)[1].split("<", 1)[0]
        rows.append((subject, row))
    return rows


# --- Missed targets per queue and day -------------------------------------------------------


def test_missed_targets_are_counted_per_queue_and_day(
    standard_user: User, agent: User, surveys_area: ProductArea
) -> None:
    now = timezone.now()
    late_twice = due_in_the_past(email_ticket(standard_user, subject="A"), hours_ago=48)
    due_in_the_past(email_ticket(standard_user, subject="B"), hours_ago=5)
    german = due_in_the_past(email_ticket(standard_user, subject="C", language="de"), hours_ago=300)
    answered = due_in_the_past(email_ticket(standard_user, subject="D"), hours_ago=5)
    ticket_reply(ticket=answered, agent=agent, body="Here you are.")
    solved_in_time = email_ticket(standard_user, subject="E")
    ticket_reply(ticket=solved_in_time, agent=agent, body="Done.", move_to=Status.SOLVED)
    today = now.astimezone(ROME).date()
    lines = breaches_by_queue_and_day(
        start=today - timedelta(days=30), end=today, zone=ROME, now=now
    )
    by_key = {(line.day, line.language): line for line in lines}
    assert late_twice.first_response_due_at and late_twice.resolution_due_at
    assert german.first_response_due_at is not None
    day_of = lambda moment: moment.astimezone(ROME).date()  # noqa: E731
    # A and D missed their first response today (D was answered after it), B too.
    today_line = by_key[(day_of(answered.first_response_due_at), "en")]
    assert today_line.first_response >= 2
    two_days_ago = by_key[(day_of(late_twice.first_response_due_at), "en")]
    assert two_days_ago.first_response >= 1
    resolution_day = by_key[(day_of(late_twice.resolution_due_at), "en")]
    assert resolution_day.resolution >= 1
    assert by_key[(day_of(german.first_response_due_at), "de")].first_response == 1
    assert sum(line.total for line in lines) == 6  # A twice, B, D, C twice
    assert all(line.queue.startswith("Email · Technical support") for line in lines)
    assert lines == sorted(lines, key=lambda line: line.day, reverse=True)


def test_a_breach_is_counted_on_its_day_in_the_reader_s_zone(standard_user: User) -> None:
    ticket = email_ticket(standard_user)
    # Due at 23:30 UTC: already the next day in Rome, still the same day in New York.
    due = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=due, resolution_due_at=due + timedelta(days=10)
    )
    now = due + timedelta(hours=1)
    rome = breaches_by_queue_and_day(
        start=date(2026, 11, 25), end=date(2026, 12, 5), zone=ROME, now=now
    )
    new_york = breaches_by_queue_and_day(
        start=date(2026, 11, 25),
        end=date(2026, 12, 5),
        zone=ZoneInfo("America/New_York"),
        now=now,
    )
    assert [line.day for line in rome] == [date(2026, 12, 1)]
    assert [line.day for line in new_york] == [date(2026, 11, 30)]
    assert isinstance(rome[0], BreachCount) and rome[0].first_response == 1


def test_counting_missed_targets_takes_two_queries_however_many_tickets(
    standard_user: User,
    make_organisation: Callable[..., Organisation],
    django_assert_num_queries: Callable[[int], object],
) -> None:
    today = timezone.now().astimezone(ROME).date()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            breaches_by_queue_and_day(
                start=today - timedelta(days=14), end=today, zone=ROME, now=timezone.now()
            )
        return len(queries)

    due_in_the_past(email_ticket(standard_user), hours_ago=5)
    few = count()
    for n in range(40):
        due_in_the_past(email_ticket(standard_user, subject=f"Late {n}"), hours_ago=5 + n)
    assert few == count() == 2


def test_the_report_page_is_for_staff_and_its_queries_do_not_grow(
    agent_client: Client, client: Client, standard_user: User
) -> None:
    url = reverse("admin:tickets_ticket_missed_targets")
    due_in_the_past(email_ticket(standard_user), hours_ago=5)
    with CaptureQueriesContext(connection) as few:
        response = agent_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Missed service-level targets" in page
    assert "Email · Technical support · English" in page
    for n in range(30):
        due_in_the_past(email_ticket(standard_user, subject=f"Late {n}"), hours_ago=5 + n)
    with CaptureQueriesContext(connection) as many:
        agent_client.get(url)
    assert len(many) == len(few)
    agent_client.logout()
    client.force_login(standard_user)
    assert client.get(url).status_code == 302  # to the admin's sign-in: staff only


def test_the_report_refuses_days_in_the_wrong_order(agent_client: Client) -> None:
    url = reverse("admin:tickets_ticket_missed_targets")
    page = agent_client.get(url, {"start": "2026-12-10", "end": "2026-12-01"}).content.decode()
    assert "The first day must not be after the last." in page
    page = agent_client.get(url, {"start": "2026-11-01", "end": "2026-11-30"}).content.decode()
    assert "No target was missed on these days." in page


def test_a_chat_that_becomes_an_email_is_held_to_email_s_targets_from_when_it_began(
    standard_user: User, agent: User, surveys_area: ProductArea
) -> None:
    session = chat_start(
        requester=standard_user, product_area=surveys_area, language="en", message="Help?"
    )
    ticket = session.ticket
    assert about(ticket.first_response_due_at, ticket.created_at + timedelta(minutes=15))
    switched = chat_switch_to_email(session=session, by=standard_user)
    assert about(switched.first_response_due_at, ticket.created_at + timedelta(hours=4))
    assert about(switched.resolution_due_at, ticket.created_at + timedelta(hours=40))


def test_accepting_a_chat_is_its_first_response(
    standard_user: User, rostered_agent: User, surveys_area: ProductArea
) -> None:
    session = chat_start(
        requester=standard_user, product_area=surveys_area, language="en", message="Help?"
    )
    chat_presence_set(agent=rostered_agent, available=True)
    accepted = chat_accept(session_id=session.pk, agent=rostered_agent)
    session.ticket.refresh_from_db()
    assert session.ticket.first_responded_at == accepted.accepted_at


def test_a_reopened_ticket_past_its_resolution_is_missed_and_one_closed_unsolved_is_not(
    agent_client: Client, standard_user: User, agent: User
) -> None:
    reopened = email_ticket(standard_user, subject="Reopened")
    ticket_reply(ticket=reopened, agent=agent, body="Fixed.", move_to=Status.SOLVED)
    ticket_reply(ticket=reopened, agent=agent, body="It came back; looking again.")
    closed = email_ticket(standard_user, subject="Duplicate")
    ticket_transition(ticket=closed, to=Status.CLOSED, actor=agent)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Ticket.objects.filter(pk__in=[reopened.pk, closed.pk]).update(resolution_due_at=an_hour_ago)
    url = reverse("admin:tickets_ticket_changelist")
    missed = dict(_rows(agent_client.get(url, {"service_level": "breached"}).content.decode()))
    assert set(missed) == {"Reopened"}
    page = dict(_rows(agent_client.get(url).content.decode()))
    assert "Target missed" in page["Reopened"] and "Target missed" not in page["Duplicate"]
    today = timezone.now().astimezone(ROME).date()
    lines = breaches_by_queue_and_day(
        start=today - timedelta(days=1), end=today, zone=ROME, now=timezone.now()
    )
    assert sum(line.resolution for line in lines) == 1
