"""Waits that prove themselves, in a browser: a customer's confirmation says why
its wait is not the one the form showed, and an agent reads quoted against real waits per
queue and week, by keyboard. axe on both; screenshots artifacts/wait-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hub.accounts.models import User
from routing.models import Agent, ProductArea
from tests.conftest import PASSWORD
from tests.hub import contact_world
from tickets.models import CallbackRequest, Channel, Team, Ticket, WaitQuote
from tickets.numbering import next_ticket_number

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(transactional_db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return contact_world.open_world()


def other_callback(requester: User, area: ProductArea, minutes_ago: int) -> Ticket:
    ticket = Ticket.objects.create(
        number=next_ticket_number(),
        requester=requester,
        organisation=requester.membership.organisation,
        team=Team.TECHNICAL,
        product_area=area,
        channel=Channel.PHONE,
        language="en",
        subject="Another customer's callback",
        phone_number="+442079460000",
    )
    CallbackRequest.objects.create(
        ticket=ticket,
        language="en",
        product_area=area,
        team="general",
        enqueued_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return ticket


def test_the_confirmation_says_why_its_wait_grew_since_the_form(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    login(page, live_server, standard_user.email, PASSWORD)
    page.goto(f"{live_server.url}/hub/technical/areas/{surveys_area.slug}/contact/phone/")
    expect(page.locator("#phone-wait")).to_contain_text("About 1 minute for a callback in English.")
    page.get_by_label("Phone number").fill("020 7946 0123")
    page.get_by_label("Subject").fill("The survey link shows an error")
    # While the form is open, three others ask for a callback.
    for minutes_ago in (3, 2, 1):
        other_callback(standard_user, surveys_area, minutes_ago)
    page.get_by_role("button", name="Request a callback").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    status = page.locator("#queue-status")
    expect(status).to_contain_text("You are number 4 in the queue for a callback.")
    expect(status).to_contain_text("Estimated wait: about 16 minutes.")
    expect(status).to_contain_text(
        "When you asked, the estimate was about 1 minute. More people asked for a callback since."
    )
    check(page, "wait-confirmation-changed")


def test_an_agent_reads_quoted_against_real_waits_per_queue_and_week(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: list[Agent],
    agent: User,
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    now = timezone.now()
    # The report groups by week in the agent's zone: the three stay in this week even when
    # the test runs in the first half hour of a Monday there.
    local = now.astimezone(ZoneInfo(agent.time_zone))
    week_start = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    for minutes_ago, actual in ((30, 360.0), (20, 240.0), (10, None)):
        WaitQuote.objects.create(
            ticket=other_callback(standard_user, surveys_area, minutes_ago),
            language="en",
            product_area=surveys_area,
            team="general",
            quoted_at=max(now - timedelta(minutes=minutes_ago), week_start),
            expected_seconds=300,
            low_seconds=180,
            high_seconds=600,
            agents=2,
            arrivals_per_hour=6,
            handle_seconds=480,
            position=2,
            actual_seconds=actual,
        )
    login(page, live_server, agent.email, PASSWORD)
    page.goto(f"{live_server.url}/hub/agents/waits/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quoted and actual callback waits")
    table = page.get_by_role("table", name="Waits per queue and week (minutes)")
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("English")
    expect(row).to_contain_text("Surveys & XM Directory")
    # Three quoted, two taken: 5 minutes quoted, 5 real on average, every one inside.
    cells = row.locator("td.numeric")
    expect(cells).to_have_text(["3", "2", "5.0", "5.0", "0.0", "100 %"])
    check(page, "wait-report")

    page.get_by_label("Weeks").focus()
    page.get_by_label("Weeks").select_option("4")
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?weeks=4$"))
    expect(page.get_by_label("Weeks")).to_have_value("4")
    expect(table.locator("tbody tr")).to_have_count(1)
