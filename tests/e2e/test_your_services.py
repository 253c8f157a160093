"""Your services and the Success Check in a browser, by keyboard; and the agents' tickets list
at 1280 px. Screenshots: artifacts/your-services*.png, artifacts/success-check*.png,
artifacts/admin-tickets-1280.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Page, expect

from hub.accounts.models import User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.e2e.conftest import NARROW, assert_no_axe_violations
from tickets.models import Channel, Team, Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.e2e


def test_a_seat_holder_requests_a_success_check_from_the_hub_home(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    axe: Callable[[Page], list[dict[str, Any]]],
    seat_holder: User,
    tsm: User,
) -> None:
    login(page, live_server, seat_holder.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/hub/$"))

    # From the hub home, by keyboard: the link beside the ways to contact support.
    services_link = page.get_by_role("link", name=re.compile("^Your services"))
    services_link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your services")
    expect(page.locator("main")).to_contain_text("Tom Meyer")
    expect(page.get_by_role("link", name="tsm@hub.example")).to_have_attribute(
        "href", "mailto:tsm@hub.example"
    )
    check(page, "your-services")

    page.get_by_role("link", name="Request a Success Check").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a Success Check")
    check(page, "success-check")

    # Sent empty: the error summary takes the focus and links to each field.
    page.get_by_role("button", name="Send request").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Say what the Success Check should review")
    assert_no_axe_violations(axe(page), "the Success Check with errors")
    summary.get_by_role("link", name="Say what the Success Check should review").click()
    expect(page.locator("#id_review")).to_be_focused()

    today = timezone.localdate()
    page.keyboard.type("How our regional teams use the CX dashboards")
    page.locator("#id_earliest").fill((today + timedelta(days=7)).isoformat())
    page.locator("#id_latest").fill((today + timedelta(days=21)).isoformat())
    page.get_by_label("Afternoons").check()
    page.locator("#id_notes").fill("Our programme relaunches in June.")
    page.get_by_role("button", name="Send request").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    ticket = Ticket.objects.get(requester=seat_holder)
    assert ticket.team == Team.SUCCESS and ticket.assigned_to == tsm
    expect(page.locator(".confirmation-panel__number")).to_have_text(ticket.number)
    expect(page.locator("main")).to_contain_text("We have sent you a confirmation email")
    expect(page.locator("main")).to_contain_text("Your Technical Success Manager will reply")
    check(page, "success-check-confirmation")


def test_a_standard_user_sees_no_services_and_gets_a_404(
    page: Page, live_server: Any, login: Callable[..., None], standard_user: User
) -> None:
    login(page, live_server, standard_user.email, PASSWORD)
    expect(page.get_by_role("link", name=re.compile("^Your services"))).to_have_count(0)
    response = page.goto(f"{live_server.url}/hub/your-services/")
    assert response is not None and response.status == 404


def test_the_tickets_list_fits_1280_px_and_a_timeline_reads_as_sentences(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    screenshot: Callable[[Page, str], Any],
    agent: User,
    seat_holder: User,
    surveys_area: ProductArea,
) -> None:
    for number in range(3):
        ticket = ticket_create(
            requester=seat_holder,
            channel=Channel.EMAIL,
            team=Team.ENTERPRISE,
            subject=f"The dashboard export of the regional programme fails again {number}",
            product_area=surveys_area,
            language="en",
        )
    login(page, live_server, agent.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/tickets/ticket/")
    expect(page.locator("#site-name")).to_have_text("Customer Success Hub")
    results = page.locator("#changelist .results")
    cut_off = results.evaluate("(element) => element.scrollWidth - element.clientWidth")
    screenshot(page, "admin-tickets-1280")
    assert cut_off <= 0, f"the tickets list is cut off by {cut_off} px at 1280 px"

    page.goto(f"{live_server.url}/admin/tickets/ticket/{ticket.pk}/change/")
    timeline = page.locator(".ticket-timeline")
    expect(timeline).to_contain_text("Request made")
    expect(timeline).to_contain_text("Contact method: Email.")
    screenshot(page, "admin-ticket-timeline")


def test_the_tickets_list_with_many_pages_fits_a_phone(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    screenshot: Callable[[Page, str], Any],
    agent: User,
    seat_holder: User,
    surveys_area: ProductArea,
) -> None:
    # A thousand pages: page numbers of four digits, as a busy desk has.
    ticket = ticket_create(
        requester=seat_holder,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Survey export stops halfway",
        product_area=surveys_area,
        language="en",
    )
    _copied(ticket, 50_049)
    login(page, live_server, agent.email, PASSWORD)
    page.set_viewport_size(NARROW)
    page.goto(f"{live_server.url}/admin/tickets/ticket/")
    paginator = page.locator("#changelist .paginator")
    expect(paginator.get_by_role("button", name="1001", exact=True)).to_be_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    screenshot(page, "admin-tickets-320")
    assert overflow <= 0, f"the tickets list scrolls sideways by {overflow} px at 320 px"


def _copied(ticket: Ticket, count: int) -> None:
    """``count`` copies of the ticket in one statement, numbered out of the way of the
    sequence the services number from (thousands of model instances took half a minute)."""
    quote = connection.ops.quote_name
    names = [field.column for field in Ticket._meta.concrete_fields]
    columns = ", ".join(
        quote(name) for name in names if name and name not in ("id", "number", "idempotency_key")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Ticket._meta.db_table)} (number, {columns}) "
            f"SELECT 'CS-' || (900000 + copy), {columns} "
            f"FROM {quote(Ticket._meta.db_table)}, generate_series(1, %s) AS copy WHERE id = %s",
            [count, ticket.pk],
        )
