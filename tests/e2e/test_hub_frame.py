"""The page frame in a real browser: sign in, Contact Support, the language switcher, the admin."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hub.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def test_a_standard_user_signs_in_and_sees_the_hub_home(
    page: Page,
    live_server: object,
    login: Callable[..., None],
    standard_user: User,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.goto(f"{live_server.url}/hub/")  # type: ignore[attr-defined]
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/hub/"))
    screenshot(page, "foundation-01-login")
    login(page, live_server, standard_user.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")
    expect(page.get_by_text("Acme Research")).to_be_visible()
    contact = page.get_by_role("link", name="Contact Support")
    expect(contact).to_be_visible()
    box = contact.bounding_box()
    assert box is not None and box["x"] > 1280 / 2, "Contact Support sits in the top-right corner"
    assert box["y"] < 100
    screenshot(page, "foundation-02-hub-home")


def test_the_language_switcher_shows_the_hub_in_italian(
    page: Page,
    live_server: object,
    login: Callable[..., None],
    standard_user: User,
    screenshot: Callable[[Page, str], Path],
) -> None:
    login(page, live_server, standard_user.email, PASSWORD)
    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Come possiamo aiutarti?")
    screenshot(page, "foundation-03-hub-home-italian")


def test_the_admin_works_under_the_content_security_policy(
    page: Page,
    live_server: object,
    login: Callable[..., None],
    admin_user: User,
    screenshot: Callable[[Page, str], Path],
) -> None:
    login(page, live_server, admin_user.email, "password")
    page.goto(f"{live_server.url}/admin/")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Agents’ admin")).to_be_visible()
    page.goto(f"{live_server.url}/admin/hub/organisation/add/")  # type: ignore[attr-defined]
    expect(page.get_by_label("Name:")).to_be_visible()
    screenshot(page, "foundation-04-admin-organisation")
