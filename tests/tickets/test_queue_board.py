"""The agents' queue board: every queue at a glance, and taking the next callback from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hub.accounts.models import StaffRole, User
from hub.accounts.services import staff_groups_ensure
from routing.configuration import configuration_changed, current_configuration
from routing.models import Agent, AgentShift, ProductArea
from tests.conftest import SESSION_QUERIES
from tickets.models import CallbackRequest, Channel, ChatPresence, Status, Team, Ticket
from tickets.services import callback_enqueue, ticket_create

BOARD = "/hub/agents/board/"
TAKE = "/hub/agents/board/take/"


def on_the_roster(user: User, *, languages: list[str], areas: list[ProductArea] = ()) -> Agent:
    """An agent of the general team on shift round the clock."""
    agent = Agent.objects.create(user=user, team="general", languages=languages)
    agent.product_areas.set(areas)
    for weekday in range(7):
        AgentShift.objects.create(agent=agent, weekday=weekday, opens=time(0), closes=time(0))
    return agent


def queued_callback(
    requester: User, area: ProductArea, *, language: str = "en", subject: str = "Heatmap"
) -> Ticket:
    ticket = ticket_create(
        requester=requester,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject=subject,
        language=language,
        product_area=area,
        phone_number="+442079460018",
        recording_consent=True,
    )
    callback_enqueue(ticket_id=ticket.pk)  # what the worker does after commit
    return ticket


def queue_code(area: ProductArea, language: str = "en") -> str:
    return f"phone.{language}.{area.slug}.general"


@pytest.fixture
def rostered_agent(agent: User, surveys_area: ProductArea) -> User:
    on_the_roster(agent, languages=["en"], areas=[surveys_area])
    return agent


@pytest.fixture
def supervisor(db: None) -> User:
    """A Technical Success Manager: staff who watch the queues, not on the roster."""
    user = User.objects.create_user(
        username="tsm@hub.example", email="tsm@hub.example", password="x", is_staff=True
    )
    user.groups.add(staff_groups_ensure()[StaffRole.TSM])
    return user


@pytest.fixture
def agent_client(client: Client, rostered_agent: User) -> Client:
    client.force_login(rostered_agent)
    return client


@pytest.mark.django_db
def test_an_agent_sees_each_queue_with_its_wait_and_a_button_where_they_have_the_skill(
    agent_client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    queued_callback(standard_user, surveys_area)
    queued_callback(standard_user, surveys_area, subject="Export")
    queued_callback(standard_user, surveys_area, language="it")

    response = agent_client.get(BOARD)

    assert response.status_code == 200
    rows = {row.code: row for row in response.context["rows"]}
    english = rows[queue_code(surveys_area)]
    assert (english.waiting, english.on_shift, english.free, english.busy) == (2, 1, 1, 0)
    assert english.can_take and english.quoted is not None and english.longest_wait is not None
    # Somebody waits in Italian though nobody on the roster speaks it: listed, not takeable.
    italian = rows[queue_code(surveys_area, "it")]
    assert (italian.waiting, italian.on_shift, italian.can_take) == (1, 0, False)
    assert italian.quoted is None
    # The chat queue of the agent's area is listed; chat is taken from the console.
    assert f"chat.en.{surveys_area.slug}.general" not in rows  # the agent takes no chats
    html = response.content.decode()
    assert html.count("Take the next callback") == 1
    assert f'value="{queue_code(surveys_area)}"' in html
    assert reverse("tickets:queue_board") in html  # the refresh link, for no JavaScript


@pytest.mark.django_db
def test_waiting_queues_come_first_oldest_first(
    agent_client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    queued_callback(standard_user, surveys_area, language="de")
    queued_callback(standard_user, surveys_area)
    rows = agent_client.get(BOARD).context["rows"]
    assert [row.code for row in rows[:2]] == [
        queue_code(surveys_area, "de"),
        queue_code(surveys_area),
    ]


@pytest.mark.django_db
def test_a_supervisor_off_the_roster_sees_the_board_without_take_buttons(
    client: Client,
    supervisor: User,
    rostered_agent: User,
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    queued_callback(standard_user, surveys_area)
    client.force_login(supervisor)
    response = client.get(BOARD)
    assert response.status_code == 200
    assert queue_code(surveys_area) in {row.code for row in response.context["rows"]}
    assert "Take the next callback" not in response.content.decode()
    assert "not on the support roster" in response.content.decode()


@pytest.mark.django_db
def test_a_customer_is_not_told_the_board_exists(client: Client, standard_user: User) -> None:
    client.force_login(standard_user)
    assert client.get(BOARD).status_code == 404
    assert (
        client.get(reverse("tickets:queue_board_rows"), HTTP_HX_REQUEST="true").status_code == 404
    )
    assert client.post(TAKE, {"queue": "phone.en.surveys-xm-directory.general"}).status_code == 404


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=/hub/agents/board/" in response["Location"]


@pytest.mark.django_db
def test_htmx_redraws_the_table_alone_and_a_plain_request_gets_the_page(
    agent_client: Client, surveys_area: ProductArea
) -> None:
    rows_url = reverse("tickets:queue_board_rows")
    partial = agent_client.get(rows_url, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert partial.status_code == 200
    assert html.lstrip().startswith('<div id="queue-board"') and "<h1>" not in html
    assert f'hx-get="{rows_url}?show=all"' in agent_client.get(BOARD).content.decode()
    assert agent_client.get(rows_url).status_code == 302


@pytest.mark.django_db
def test_taking_the_next_callback_assigns_the_oldest_of_that_queue_and_opens_it(
    agent_client: Client, rostered_agent: User, standard_user: User, surveys_area: ProductArea
) -> None:
    first = queued_callback(standard_user, surveys_area, subject="First")
    queued_callback(standard_user, surveys_area, subject="Second")

    response = agent_client.post(TAKE, {"queue": queue_code(surveys_area)})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tickets_ticket_change", args=[first.pk])
    first.refresh_from_db()
    assert first.assigned_to == rostered_agent and first.status == Status.IN_PROGRESS
    assert CallbackRequest.objects.get(ticket=first).taken_by == rostered_agent
    assert CallbackRequest.objects.filter(taken_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_with_the_queue_empty_nothing_is_taken_and_the_agent_is_told(
    agent_client: Client,
    standard_user: User,
    surveys_area: ProductArea,
    product_areas: list[ProductArea],
) -> None:
    other_area = next(area for area in product_areas if area.slug == "cx-dashboards")
    waiting_elsewhere = queued_callback(standard_user, other_area)

    response = agent_client.post(TAKE, {"queue": queue_code(surveys_area)})

    assert response.status_code == 302 and response["Location"] == BOARD
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "No callback is waiting in this queue now."
    ]
    waiting_elsewhere.refresh_from_db()
    assert waiting_elsewhere.assigned_to is None


@pytest.mark.django_db
def test_a_queue_without_the_skill_is_refused_and_an_unknown_one_is_not_found(
    agent_client: Client,
    standard_user: User,
    surveys_area: ProductArea,
    product_areas: list[ProductArea],
) -> None:
    other_area = next(area for area in product_areas if area.slug == "cx-dashboards")
    italian = queued_callback(standard_user, surveys_area, language="it")
    elsewhere = queued_callback(standard_user, other_area)

    assert agent_client.post(TAKE, {"queue": queue_code(surveys_area, "it")}).status_code == 403
    assert agent_client.post(TAKE, {"queue": queue_code(other_area)}).status_code == 403
    for code in (
        "",
        "phone.en.no-such-area.general",
        "chat.en.surveys-xm-directory.general",
        "phone.xx.surveys-xm-directory.general",
        "phone.en.surveys-xm-directory.boss",
    ):
        assert agent_client.post(TAKE, {"queue": code}).status_code == 404, code
    assert agent_client.get(TAKE).status_code == 405
    assert (
        Ticket.objects.filter(pk__in=[italian.pk, elsewhere.pk], assigned_to__isnull=False).count()
        == 0
    )


@pytest.mark.django_db
def test_a_second_click_does_not_take_the_same_callback_again(
    agent_client: Client,
    make_agent: Callable[[str], User],
    rostered_agent: User,
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    only = queued_callback(standard_user, surveys_area)
    colleague = make_agent("colleague@hub.example")
    on_the_roster(colleague, languages=["en"])
    other = Client()
    other.force_login(colleague)

    assert agent_client.post(TAKE, {"queue": queue_code(surveys_area)})["Location"] != BOARD
    assert agent_client.post(TAKE, {"queue": queue_code(surveys_area)})["Location"] == BOARD
    assert other.post(TAKE, {"queue": queue_code(surveys_area)})["Location"] == BOARD

    only.refresh_from_db()
    assert only.assigned_to == rostered_agent
    assert only.events.filter(kind="called_back").count() == 1


@pytest.mark.django_db
def test_an_agent_on_a_callback_counts_as_busy(
    agent_client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    queued_callback(standard_user, surveys_area)
    agent_client.post(TAKE, {"queue": queue_code(surveys_area)})
    queued_callback(standard_user, surveys_area, subject="Next")
    row = next(
        row
        for row in agent_client.get(BOARD).context["rows"]
        if row.code == queue_code(surveys_area)
    )
    assert (row.waiting, row.on_shift, row.free, row.busy) == (1, 1, 0, 1)


@pytest.mark.django_db
def test_the_board_reads_the_same_queries_however_many_tickets_wait(
    agent_client: Client,
    standard_user: User,
    product_areas: list[ProductArea],
    surveys_area: ProductArea,
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert agent_client.get(BOARD).status_code == 200
            assert (
                agent_client.get(
                    reverse("tickets:queue_board_rows"), HTTP_HX_REQUEST="true"
                ).status_code
                == 200
            )
        return len(captured)

    queued_callback(standard_user, surveys_area)
    # Roster, hours and areas are read once per change, not per request.
    current_configuration()
    few = queries()
    for n in range(40):
        area = product_areas[n % 5]
        queued_callback(standard_user, area, language=["en", "de", "it"][n % 3], subject=f"n{n}")
    for n in range(10):
        ticket_create(
            requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject=f"e{n}"
        )
    # 10 a request, whatever waits: the user and permissions (3), the agent's skills (2),
    # what waits (1), statistics and console (2), the areas' queue facts (1), busy (1).
    assert queries() == few == 2 * (10 + SESSION_QUERIES)


@pytest.mark.django_db
def test_the_admin_leads_staff_to_the_board(agent_client: Client) -> None:
    for page in (reverse("admin:index"), reverse("admin:tickets_ticket_changelist")):
        assert f'href="{BOARD}"' in agent_client.get(page).content.decode(), page


@pytest.mark.django_db
def test_a_chat_queue_counts_as_free_the_agents_in_the_console_with_room(
    agent_client: Client, rostered_agent: User, surveys_area: ProductArea
) -> None:
    Agent.objects.filter(user=rostered_agent).update(available_for_chat=True)
    configuration_changed()
    code = f"chat.en.{surveys_area.slug}.general"

    def chat_row() -> tuple[int, int, int, bool]:
        row = next(row for row in agent_client.get(BOARD).context["rows"] if row.code == code)
        return row.on_shift, row.free, row.busy, row.can_take

    # On shift but not in the console: neither free for chat nor busy.
    assert chat_row() == (1, 0, 0, False)
    now = timezone.now()
    ChatPresence.objects.create(agent=rostered_agent, available=True, seen_at=now, changed_at=now)
    assert chat_row() == (1, 1, 0, False)


@pytest.mark.django_db
def test_the_board_narrows_to_the_agents_queues_or_those_with_somebody_waiting(
    agent_client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    queued_callback(standard_user, surveys_area, language="it")

    def codes(show: str) -> list[str]:
        response = agent_client.get(BOARD, {"show": show})
        assert f"?show={response.context['shows']}" in response.content.decode()  # the poll too
        return [row.code for row in response.context["rows"]]

    assert codes("mine") == [queue_code(surveys_area)]
    assert codes("waiting") == [queue_code(surveys_area, "it")]
    assert set(codes("all")) >= {queue_code(surveys_area), queue_code(surveys_area, "it")}
    assert codes("nonsense") == codes("all")


@pytest.mark.django_db
def test_a_redraw_after_signing_out_reloads_the_page_instead_of_drawing_sign_in_in_it(
    client: Client,
) -> None:
    rows_url = reverse("tickets:queue_board_rows")
    response = client.get(rows_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert client.get(rows_url)["Location"] == BOARD


@pytest.mark.django_db
def test_a_queue_shows_its_tickets_past_a_target_or_due_within_the_hour(
    agent_client: Client, standard_user: User, surveys_area: ProductArea
) -> None:
    late = queued_callback(standard_user, surveys_area, subject="Late")
    soon = queued_callback(standard_user, surveys_area, subject="Soon")
    queued_callback(standard_user, surveys_area, subject="Later")
    now = timezone.now()
    Ticket.objects.filter(pk=late.pk).update(first_response_due_at=now - timedelta(minutes=5))
    Ticket.objects.filter(pk=soon.pk).update(first_response_due_at=now + timedelta(minutes=20))
    Ticket.objects.exclude(pk__in=[late.pk, soon.pk]).update(
        first_response_due_at=now + timedelta(hours=3), resolution_due_at=now + timedelta(days=2)
    )
    Ticket.objects.filter(pk__in=[late.pk, soon.pk]).update(
        resolution_due_at=now + timedelta(days=2)
    )

    response = agent_client.get(BOARD)

    rows = {row.code: row for row in response.context["rows"]}
    english = rows[queue_code(surveys_area)]
    assert (english.targets.missed, english.targets.due_soon) == (1, 1)
    html = response.content.decode()
    assert "1 target missed" in html and "1 due within the hour" in html
    # Once answered, the missed first response no longer counts as open and late.
    Ticket.objects.filter(pk=late.pk).update(status=Status.SOLVED)
    rows = {row.code: row for row in agent_client.get(BOARD).context["rows"]}
    assert rows[queue_code(surveys_area)].targets.missed == 0
