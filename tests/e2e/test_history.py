"""R-HISTORY in a real browser: filtering and paging the list (with and without JavaScript),
the ticket page with its live place in the queue, a comment, withdrawing access and closing.
Screenshots: artifacts/history-*.png at 1280 and 320 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from hub.accounts.models import User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.tickets.history_world import tickets_bulk
from tickets.models import CallbackRequest, Channel, Status, Team, Ticket
from tickets.services import callback_enqueue, callback_take_next, ticket_create

pytestmark = pytest.mark.e2e

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _sign_in(page: Page, live_server: Any, login: Callable[..., None], user: User) -> None:
    login(page, live_server, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/hub/$"))


def _phone_ticket(user: User, area: ProductArea, subject: str, number: str) -> Ticket:
    ticket = ticket_create(
        requester=user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject=subject,
        product_area=area,
        language="en",
        phone_number=number,
        recording_consent=True,
        account_access_allowed=True,
    )
    callback_enqueue(ticket_id=ticket.pk)
    return ticket


# Text measured as the browser draws it in a given font: what a box must hold to show it whole.
TEXT_WIDTH = """const textWidth = (text, font) => {
    const pen = document.createElement("canvas").getContext("2d");
    pen.font = font;
    return pen.measureText(text).width;
  };"""
# Each filter's chosen option, measured in the select's own font, with room for the arrow.
CUT_OFF_SELECTS = f"""() => {{ {TEXT_WIDTH}
  return [...document.querySelectorAll(".history-filters select")].filter((select) => {{
    const style = getComputedStyle(select);
    const text = textWidth(select.options[select.selectedIndex].text, style.font);
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    return text + padding + 20 > select.clientWidth;
  }}).map((select) => select.name + ": " + select.options[select.selectedIndex].text);
}}"""


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_filters_show_their_whole_choice_at_1280_px(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    brand_admin: User,
    standard_user: User,
    product_areas: list[ProductArea],
    language: str,
) -> None:
    brand_admin.preferred_language = language
    brand_admin.save(update_fields=["preferred_language"])
    tickets_bulk([standard_user], 30, start=START, areas=product_areas[:2])
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, live_server, login, brand_admin)
    page.goto(f"{live_server.url}/hub/tickets/")
    expect(page.locator(".history-filters select")).to_have_count(5)
    assert page.evaluate(CUT_OFF_SELECTS) == []


def test_a_brand_administrator_filters_searches_and_pages_the_organisations_history(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    brand_admin: User,
    standard_user: User,
    product_areas: list[ProductArea],
) -> None:
    tickets_bulk([standard_user, brand_admin], 60, start=START, areas=product_areas[:4])
    _sign_in(page, live_server, login, brand_admin)
    page.get_by_role("link", name="See your requests and their history").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisation’s requests")
    count = page.locator("#results-count")
    expect(count).to_have_text("60 requests")
    expect(page.locator(".history-table tbody tr")).to_have_count(25)
    check(page, "history-01-list-administrator")
    # At 1280 px the eight columns fit their region: each date breaks before its time.
    table = page.get_by_role("region", name="Requests, with their status and when they last")
    assert table.evaluate("region => region.scrollWidth <= region.clientWidth")

    # Choosing a filter redraws the table in place and puts the filter in the address.
    page.get_by_label("Contact method").select_option("phone")
    expect(count).to_have_text("15 requests match your filters")
    expect(page).to_have_url(re.compile(r"channel=phone"))
    expect(page.locator(".history-table tbody tr")).to_have_count(15)
    cells = page.locator(".history-table tbody td[data-label='Contact method']")
    expect(cells).to_have_text(["Phone callback"] * 15)

    # Typing searches as you type; the count is announced in its live region.
    page.get_by_label("Contact method").select_option("")
    page.get_by_label("Search").fill("token")
    expect(count).to_have_text("12 requests match your filters")
    check(page, "history-02-search")
    page.get_by_label("Search").fill("")
    expect(count).to_have_text("60 requests")

    # Choosing a day redraws it too; htmx read every trigger of the form.
    page.get_by_label("Made on or after").fill("2099-01-01")
    expect(page).to_have_url(re.compile(r"created_from=2099-01-01"))
    page.get_by_label("Made on or after").fill("")
    expect(count).to_have_text("60 requests")

    # Paging by keyset: next, next, previous, keeping the sort order.
    page.get_by_label("Sort by").select_option("oldest")
    expect(page).to_have_url(re.compile(r"sort=oldest"))
    first_page = page.locator(".history-table__number").all_inner_texts()
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"after="))
    second_page = page.locator(".history-table__number").all_inner_texts()
    assert len(second_page) == 25 and set(first_page).isdisjoint(second_page)
    page.get_by_role("link", name="Next page").click()
    expect(page.locator(".history-table tbody tr")).to_have_count(10)
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    page.get_by_role("link", name="Previous page").click()
    expect(page.locator(".history-table__number")).to_have_text(second_page)
    assert page.locator(".history-table__number").first.inner_text() > first_page[-1]

    # The address is the view: opening it again shows the same page.
    page.reload()
    expect(page.locator(".history-table__number")).to_have_text(second_page)
    expect(page.get_by_label("Sort by")).to_have_value("oldest")


# Each stacked row's label, word by word (a hyphen may end a line), measured in the label's
# own font against the label column: a word wider than its column is broken in the middle.
# The column is the row's: a cell's own grid is the row's subgrid.
BROKEN_LABELS = f"""() => {{ {TEXT_WIDTH}
  return [...document.querySelectorAll(".table--stack td[data-label]")].filter((cell) => {{
    const font = getComputedStyle(cell, "::before").font;
    const tracks = getComputedStyle(cell.parentElement).gridTemplateColumns;
    const column = parseFloat(tracks.split(" ")[0]);
    if (!Number.isFinite(column)) throw new Error("no label column: " + tracks);
    const words = cell.dataset.label.split(/\\s+|(?<=-)/);
    return Math.max(...words.map((word) => textWidth(word, font))) > column + 0.5;
  }}).map((cell) => cell.dataset.label);
}}"""
CUT_OFF_CELLS = """() => [...document.querySelectorAll(".table--stack td")]
  .filter((cell) => cell.scrollWidth > cell.clientWidth + 1
    || cell.getBoundingClientRect().right > cell.parentElement.getBoundingClientRect().right + 1)
  .map((cell) => cell.textContent.trim())"""
# Where each cell's value starts (its label is drawn before its content, outside the DOM).
VALUE_EDGES = """(row) => [...row.querySelectorAll("td[data-label]")].map((cell) => {
  const content = document.createRange();
  content.selectNodeContents(cell);
  return content.getBoundingClientRect().left;
})"""


@pytest.mark.parametrize("language", ["nl", "de"])
def test_on_a_phone_screen_no_label_of_the_history_breaks_inside_a_word(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    brand_admin: User,
    standard_user: User,
    product_areas: list[ProductArea],
    language: str,
) -> None:
    # Dutch and German write the longest one-word labels ("Contactmethode", "Produktbereich"),
    # and Dutch a product area wider than what is left beside them ("Medewerkerservaring").
    brand_admin.preferred_language = language
    brand_admin.save(update_fields=["preferred_language"])
    employees = next(area for area in product_areas if area.slug == "employee-experience")
    _phone_ticket(standard_user, employees, "Reminder emails", "+390612345678")
    tickets_bulk([standard_user], 3, start=START, areas=product_areas[:2])
    _sign_in(page, live_server, login, brand_admin)
    page.set_viewport_size({"width": 320, "height": 900})
    page.goto(f"{live_server.url}/hub/tickets/")
    expect(page.locator(".history-table tbody tr")).to_have_count(4)
    assert page.evaluate(BROKEN_LABELS) == []
    # The values of one row still line up: every label of a row shares one column.
    value_edges = page.locator(".history-table tbody tr").first.evaluate(VALUE_EDGES)
    assert len(value_edges) == 8 and len({round(edge) for edge in value_edges}) == 1
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    # Nothing runs past its row: a value too wide for what is left breaks instead.
    assert page.evaluate(CUT_OFF_CELLS) == []


def test_the_history_in_german_fits_a_phone_screen(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    brand_admin: User,
    standard_user: User,
    product_areas: list[ProductArea],
) -> None:
    # German writes the longest status ("In der Warteschlange"): a stacked row still fits.
    brand_admin.preferred_language = "de"
    brand_admin.save(update_fields=["preferred_language"])
    _phone_ticket(standard_user, product_areas[0], "Reminder emails", "+390612345678")
    _sign_in(page, live_server, login, brand_admin)
    page.goto(f"{live_server.url}/hub/tickets/")
    expect(page.locator(".history-table .tag--status")).to_have_text(["In der Warteschlange"])
    check(page, "history-08-list-german")


def test_the_history_filters_and_pages_without_javascript(
    browser: Browser,
    live_server: Any,
    login: Callable[..., None],
    brand_admin: User,
    standard_user: User,
    product_areas: list[ProductArea],
) -> None:
    tickets_bulk([standard_user], 40, start=START, areas=product_areas[:2])
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        login(page, live_server, brand_admin.email, PASSWORD)
        page.goto(f"{live_server.url}/hub/tickets/")
        page.get_by_label("Status", exact=True).select_option("solved")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"status=solved"))
        expect(page.locator("#results-count")).to_have_text("10 requests match your filters")
        expect(page.locator(".history-table td[data-label='Status']")).to_have_text(["Solved"] * 10)
        page.get_by_label("Made on or after").fill("2026-09-02")
        page.get_by_label("Made on or before").fill("2026-09-01")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator(".error-summary")).to_contain_text(
            "The last date must be the same as or after the first date"
        )
        expect(page).to_have_title(re.compile(r"^Error:"))
        page.get_by_role("link", name="Clear filters").first.click()
        page.get_by_role("link", name="Next page").click()
        expect(page.locator(".history-table tbody tr")).to_have_count(15)
    finally:
        context.close()


def test_the_ticket_page_follows_a_callback_up_the_queue_live(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    settings: Any,
    standard_user: User,
    brand_admin: User,
    agent: User,
    product_areas: list[ProductArea],
) -> None:
    settings.TICKETS_QUEUE_POLL_SECONDS = 1
    area = ProductArea.objects.get(slug="surveys-xm-directory")
    _phone_ticket(brand_admin, area, "Quota counts look wrong", "+442079460001")
    mine = _phone_ticket(
        standard_user, area, "Reminders reach finished respondents", "+442079460002"
    )
    _sign_in(page, live_server, login, standard_user)
    page.goto(f"{live_server.url}/hub/tickets/{mine.number}/")
    queue = page.locator("#queue-status")
    expect(queue).to_contain_text("You are number 2 in the queue for a callback.")
    expect(page.locator(".timeline__title")).to_have_text(
        ["Request made", "Joined the callback queue", "Confirmation email sent"]
    )
    check(page, "history-10-ticket-waiting")

    # An agent takes the first callback: the page moves up without a reload.
    taken = callback_take_next(agent=agent, languages=["en"], area_ids=None, teams=["general"])
    assert taken is not None and taken.ticket.requester_id == brand_admin.pk
    expect(queue).to_contain_text("You are number 1 in the queue for a callback.", timeout=8000)

    # A comment joins the timeline in place, from the keyboard alone.
    page.get_by_label("Add a comment").fill("I can take the call any time after 14:00.")
    page.get_by_label("Add a comment").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".timeline__message").last).to_have_text(
        "I can take the call any time after 14:00."
    )
    expect(page.get_by_label("Add a comment")).to_have_value("")

    page.get_by_role("button", name="Withdraw permission to log into my account").click()
    expect(page.locator(".messages")).to_contain_text("Support may no longer log into your account")
    expect(page.locator("#permissions")).to_contain_text("Not allowed")

    page.get_by_role("link", name="Close this request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close this request?")
    check(page, "history-11-close-question")
    page.get_by_role("button", name="Close the request").click()
    expect(page.locator(".ticket-page__status")).to_contain_text("Closed")
    expect(page.locator("#queue-status")).to_have_count(0)
    assert not CallbackRequest.objects.filter(ticket=mine).exists()
    check(page, "history-12-ticket-closed")
    mine.refresh_from_db()
    assert mine.status == Status.CLOSED


def test_a_standard_user_sees_an_empty_history_that_leads_to_support(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    standard_user: User,
) -> None:
    _sign_in(page, live_server, login, standard_user)
    page.goto(f"{live_server.url}/hub/tickets/")
    expect(page.get_by_role("heading", name="No requests yet")).to_be_visible()
    # Nothing to filter yet: no filters, only the way to support.
    expect(page.get_by_role("search")).to_have_count(0)
    check(page, "history-03-empty")
    page.locator(".empty-state").get_by_role("link", name="Contact Support").click()
    expect(page).to_have_url(re.compile(r"/hub/$"))
