"""The staffing planner: supervisors only, the numbers on the page and in the CSV, and a
page whose queries do not grow with the number of tickets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.accounts.models import User
from routing.configuration import current_configuration
from routing.erlang import agents_for_service_level
from routing.policy import Team
from routing.staffing import StaffingQueue, week_half_hours
from tests.tickets.staffing_world import (
    PASSWORD,
    ROME,
    callbacks_at,
    monday_morning_callbacks,
    spanish_agent_on_monday_mornings,
    supervisor_add,
    this_week,
)
from tickets.staffing.selectors import MEASURED_WEEKS, callback_arrival_rates

pytestmark = pytest.mark.django_db

URL = reverse("tickets:staffing")
CSV_URL = reverse("tickets:staffing_csv")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supervisor() -> User:
    return supervisor_add()


def test_a_supervisor_sees_the_planner_for_this_week(supervisor: User) -> None:
    response = signed_in(supervisor).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Staffing planner" in page
    assert f'value="{this_week().isoformat()}"' in page
    assert "Europe/Rome" in page


def test_an_agent_who_is_not_a_supervisor_is_refused(agent: User) -> None:
    assert signed_in(agent).get(URL).status_code == 403
    assert signed_in(agent).get(CSV_URL).status_code == 403


def test_a_customer_gets_a_404_and_a_visitor_is_asked_to_sign_in(standard_user: User) -> None:
    assert signed_in(standard_user).get(URL).status_code == 404
    assert signed_in(standard_user).get(CSV_URL).status_code == 404
    response = Client().get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_superuser_may_plan(db: None) -> None:
    root = User.objects.create_superuser("root@hub.example", "root@hub.example", PASSWORD)
    assert signed_in(root).get(URL).status_code == 200


def _needed(callbacks_per_hour: float, *, share: float = 0.8, minutes: int = 10) -> int:
    return agents_for_service_level(
        traffic=callbacks_per_hour * 480 / 3600,
        handle_seconds=480,
        answer_within_seconds=minutes * 60,
        share=share,
    )


def _csv_rows(client: Client, **query: str) -> list[dict[str, str]]:
    response = client.get(CSV_URL, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_monday_morning_gap_shows_on_the_page_and_in_the_csv(
    supervisor: User, standard_user: User
) -> None:
    spanish_agent_on_monday_mornings()
    monday_morning_callbacks(standard_user, per_week=16, weeks=4)
    # 64 callbacks over the 8 weeks measured: 8 a week in that half-hour, 16 an hour.
    per_hour = 16 * 4 * 2 / MEASURED_WEEKS
    needed = _needed(per_hour)
    assert needed > 1
    client = signed_in(supervisor)
    next_week = (this_week() + timedelta(days=9)).isoformat()  # a Wednesday: its week is planned

    page = client.get(URL, {"week": next_week, "queue": "es-general"}).content.decode()
    assert f"Short by {needed - 1}" in page
    assert "staffing-row--short" in page

    rows = _csv_rows(client, week=next_week, queue="es-general")
    monday = this_week() + timedelta(weeks=1)
    # 16 queues (8 languages, 2 teams), each with every half-hour of the week.
    assert len(rows) == 16 * len(week_half_hours(monday, ROME))
    nine = next(
        row
        for row in rows
        if row["Language (code)"] == "es"
        and row["Team (code)"] == "general"
        and row["Half-hour starts (Europe/Rome)"].startswith(f"{monday.isoformat()}T09:00")
    )
    assert float(nine["Callbacks per hour"]) == pytest.approx(per_hour)
    assert nine["Handle time (minutes)"] == "8.0"
    assert (nine["Agents needed"], nine["Agents on shift"], nine["Agents short"]) == (
        str(needed),
        "1",
        str(needed - 1),
    )
    ten = next(
        row
        for row in rows
        if row["Language (code)"] == "es"
        and row["Team (code)"] == "general"
        and row["Half-hour starts (Europe/Rome)"].startswith(f"{monday.isoformat()}T09:30")
    )
    assert (ten["Agents needed"], ten["Agents on shift"], ten["Agents short"]) == ("0", "1", "0")


def test_a_looser_target_on_the_page_needs_fewer_agents(
    supervisor: User, standard_user: User
) -> None:
    spanish_agent_on_monday_mornings()
    monday_morning_callbacks(standard_user, per_week=16, weeks=4)
    per_hour = 16 * 4 * 2 / MEASURED_WEEKS
    client = signed_in(supervisor)
    strict = _csv_rows(client, service_level="95", answer_within="1")
    loose = _csv_rows(client, service_level="50", answer_within="30")
    strict_needed = sum(int(row["Agents needed"]) for row in strict)
    loose_needed = sum(int(row["Agents needed"]) for row in loose)
    assert loose_needed < strict_needed
    assert _needed(per_hour, share=0.95, minutes=1) > _needed(per_hour, share=0.5, minutes=30)


def test_a_bad_choice_shows_the_error_summary_and_no_plan(supervisor: User) -> None:
    response = signed_in(supervisor).get(URL, {"service_level": "100", "week": "someday"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("There is a problem") == 1
    assert "<title>Error:" in page
    assert "The share answered in time must be between 1 and 99" in page
    assert "Enter the week as a real date" in page
    assert 'value="100"' in page  # the typed values stay
    assert "Download the plan as CSV" not in page
    # The CSV of a bad choice is the page with its errors, never another plan.
    csv_response = signed_in(supervisor).get(CSV_URL, {"service_level": "100"})
    assert csv_response.status_code == 302


def test_htmx_redraws_only_the_plan(supervisor: User) -> None:
    response = signed_in(supervisor).get(URL, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert '<form class="staffing-form"' in page  # the form too: its errors sit by its fields
    assert 'id="plan"' in page
    assert "<html" not in page and 'id="planner"' not in page


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, {"queue": "es-general"}).status_code == 200
        assert client.get(CSV_URL).status_code == 200
    return len(captured)


def test_the_planners_queries_do_not_grow_with_the_tickets(
    supervisor: User, standard_user: User
) -> None:
    spanish_agent_on_monday_mornings()
    client = signed_in(supervisor)
    monday_morning_callbacks(standard_user, per_week=2, weeks=2)
    # Areas, hours and the roster are read once per change, not per request.
    current_configuration()
    few = _queries(client)
    monday_morning_callbacks(standard_user, per_week=300, weeks=4)
    many = _queries(client)
    print(f"planner page + CSV: {few} queries with 8 callbacks, {many} with 1,208")
    assert few == many, (few, many)
    assert many <= 2 * 8  # the session, the user and the groups, then the plan's four reads


def test_the_tickets_admin_links_the_planner_for_supervisors_only(
    supervisor: User, agent: User
) -> None:
    changelist = reverse("admin:tickets_ticket_changelist")
    supervisor.groups.add(*agent.groups.all())  # a supervisor works the queue too
    assert URL in signed_in(supervisor).get(changelist).content.decode()
    assert URL not in signed_in(agent).get(changelist).content.decode()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(["week", "service_level", "answer_within", "queue"]),
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(["0001-01-01", "9999-12-31", "1e9", "-5", "", "es-general"]),
        ),
    )
)
def test_whatever_the_url_holds_the_planner_never_fails(
    supervisor: User, query: dict[str, str]
) -> None:
    client = signed_in(supervisor)
    # 400: the hub refuses control characters in an address before any view (hub.middleware).
    assert client.get(URL, query).status_code in (200, 400)
    assert client.get(CSV_URL, query).status_code in (200, 302, 400)


def test_arrivals_are_counted_on_the_supervisors_wall_clock_across_a_clock_change(
    standard_user: User,
) -> None:
    # 09:10 in Rome on the Mondays either side of Europe's spring change (29 March 2026):
    # 08:10 UTC, then 07:10 UTC. Both belong to Monday 09:00-09:30 on a Roman wall clock.
    before = datetime(2026, 3, 23, 9, 10, tzinfo=ROME)
    after = datetime(2026, 3, 30, 9, 10, tzinfo=ROME)
    assert (before.astimezone(UTC).hour, after.astimezone(UTC).hour) == (8, 7)
    callbacks_at(standard_user, [before, after])
    now = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    spanish = StaffingQueue("es", Team.GENERAL)

    in_rome = callback_arrival_rates(zone=ROME, now=now)
    assert in_rome == {(spanish, 0, 18): 2 / MEASURED_WEEKS}
    # Read in UTC they fall in two different half-hours.
    in_utc = callback_arrival_rates(zone=ZoneInfo("UTC"), now=now)
    assert in_utc == {(spanish, 0, 16): 1 / MEASURED_WEEKS, (spanish, 0, 14): 1 / MEASURED_WEEKS}
