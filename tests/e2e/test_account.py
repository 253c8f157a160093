"""The header's account menu by keyboard, and the account page where a member sets their
language and time zone. Screenshots: artifacts/account-*.png at 1280 and 320 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hub.accounts.models import User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.tickets.history_world import tickets_bulk

pytestmark = pytest.mark.e2e

MENU_NAME = re.compile(r"\(account menu\)$")


def _menu_node(page: Page) -> dict[str, Any]:
    """The account menu's button as the browser exposes it to assistive technology."""
    session = page.context.new_cdp_session(page)
    tree = session.send("Accessibility.getFullAXTree")["nodes"]
    session.detach()
    for node in tree:
        name = node.get("name", {}).get("value", "")
        if MENU_NAME.search(name):
            properties = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
            return {"role": node["role"]["value"], "name": name, **properties}
    raise AssertionError("the account menu is not in the accessibility tree")


def _focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.textContent.trim()"))


def test_the_account_menu_looks_like_one_and_works_by_keyboard(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    standard_user: User,
) -> None:
    login(page, live_server, standard_user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/hub/$"))
    toggle = page.locator(".user-menu summary")
    # A visible sign that it opens, beside the name.
    chevron = toggle.locator(".user-menu__chevron")
    expect(chevron).to_be_visible()
    box = chevron.bounding_box()
    assert box is not None and box["width"] >= 6 and box["height"] >= 6

    # Reached with Tab from the top of the page: skip link, the hub's name, then the menu.
    page.locator("body").focus()
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"
    node = _menu_node(page)
    assert node["role"] == "DisclosureTriangle"  # announced as a button that expands
    assert node["name"] == f"{standard_user.get_full_name()} (account menu)"
    assert node["expanded"] is False
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()

    page.keyboard.press("Enter")
    assert _menu_node(page)["expanded"] is True
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("link", name="Change password")).to_be_visible()
    check(page, "account-01-menu-open")

    # Escape closes it and puts focus back on its button.
    page.keyboard.press("Tab")
    assert _focused(page) == "Your account"
    page.keyboard.press("Escape")
    assert _menu_node(page)["expanded"] is False
    assert page.evaluate("() => document.activeElement.tagName") == "SUMMARY"

    page.keyboard.press("Space")
    expect(page.get_by_role("link", name="Your account")).to_be_visible()
    page.keyboard.press("Tab")
    assert _focused(page) == "Your account"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


@pytest.fixture
def tokyo_page(open_page: Callable[..., Page]) -> Page:
    """A browser whose clock is set to Tokyo, so the page can offer that zone."""
    return open_page(timezone_id="Asia/Tokyo")


def test_a_member_sets_their_language_and_time_zone_and_the_hub_follows(
    tokyo_page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    standard_user: User,
    product_areas: list[ProductArea],
) -> None:
    page = tokyo_page
    # Made at 08:00 UTC: 09:00 in London (the default zone), 17:00 in Tokyo.
    tickets_bulk([standard_user], 1, start=datetime(2026, 6, 1, 8, 0, tzinfo=UTC))
    login(page, live_server, standard_user.email, PASSWORD)
    page.goto(f"{live_server.url}/hub/tickets/")
    expect(page.locator(".history-table__when").first).to_have_text("1 Jun 2026, 09:00")

    page.locator(".user-menu summary").click()
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("Europe/London")
    expect(page.get_by_text("Your browser’s time zone is Asia/Tokyo.")).to_be_visible()
    check(page, "account-02-page")

    # A bad value: the error summary, and nothing saved.
    page.get_by_label("First name").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title(re.compile(r"^Error: Your account"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter your first name")).to_be_visible()
    check(page, "account-03-error")

    page.get_by_label("First name").fill("Sam")
    page.get_by_role("button", name="Use my browser’s time zone").click()
    expect(zone).to_have_value("Asia/Tokyo")
    page.get_by_label("Language of the hub").select_option("it")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Il tuo account")
    expect(page.get_by_role("status").first).to_contain_text("salvat")
    expect(page.get_by_label("Fuso orario")).to_have_value("Asia/Tokyo")
    check(page, "account-04-saved-italian")

    page.goto(f"{live_server.url}/hub/tickets/")
    expect(page.get_by_role("heading", level=1)).not_to_have_text(re.compile("requests"))
    expect(page.locator(".history-table__when").first).to_have_text(re.compile(r"2026, 17:00$"))
    expect(page.locator("footer")).to_contain_text("Asia/Tokyo")
