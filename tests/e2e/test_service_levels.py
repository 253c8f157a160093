"""Service-level targets in a browser: a ticket's first-response target passes while the agent
works, and the tickets list, its filter and the missed-targets report all show the breach
Screenshots: artifacts/service-levels-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hub.accounts.models import User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_no_axe_violations
from tickets.models import Channel, Team
from tickets.services import service_level_targets_ensure_defaults, ticket_create

pytestmark = pytest.mark.e2e


def test_a_breach_appears_when_the_first_response_target_passes(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    screenshot: Callable[[Page, str], Any],
    axe: Callable[[Page], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    agent: User,
    standard_user: User,
    seat_holder: User,
    surveys_area: ProductArea,
) -> None:
    service_level_targets_ensure_defaults()
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Quota report is empty",
        language="en",
    )
    assert ticket.first_response_due_at is not None  # standard email: within four hours
    for number in range(2):
        ticket_create(
            requester=seat_holder,
            channel=Channel.EMAIL,
            team=Team.ENTERPRISE,
            subject=f"The dashboard export of the regional programme fails again {number}",
            product_area=surveys_area,
            language="en",
        )
    login(page, live_server, agent.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/tickets/ticket/")
    row = page.locator("#result_list tbody tr", has_text="Quota report is empty")
    expect(row.locator("td.field-service_level")).to_contain_text("First response")
    expect(row).not_to_contain_text("Target missed")

    # The clock moves five hours on, in the server too (it runs in this process): the
    # four-hour first response has passed and nobody has answered.
    moved = timezone.now() + timedelta(hours=5)
    real_now = timezone.now

    def now() -> datetime:
        return moved + (real_now() - started)

    started = real_now()
    monkeypatch.setattr(timezone, "now", now)

    page.reload()
    expect(row.locator("td.field-service_level")).to_contain_text("Target missed")
    screenshot(page, "service-levels-list")
    results = page.locator("#changelist .results")
    cut_off = results.evaluate("(element) => element.scrollWidth - element.clientWidth")
    assert cut_off <= 0, f"the tickets list is cut off by {cut_off} px at 1280 px"

    page.get_by_role("link", name="Target missed", exact=True).click()
    expect(page).to_have_url(re.compile(r"service_level=breached"))
    expect(page.locator("#result_list")).to_contain_text("Quota report is empty")

    page.get_by_role("link", name="Missed targets", exact=True).click()
    expect(page.get_by_role("heading", name="Missed service-level targets")).to_be_visible()
    table = page.get_by_role("table")
    line = table.locator("tbody tr", has_text="Email · Technical support · English")
    expect(line.locator("td").nth(2)).to_have_text("1")  # first responses late
    expect(line.locator("td").nth(3)).to_have_text("0")  # resolutions: still in time
    page.wait_for_load_state("networkidle")
    assert_no_axe_violations(axe(page), "the missed-targets report")
    screenshot(page, "service-levels-report")

    # By keyboard: the days are a form like any other.
    page.locator("#id_start").fill("2026-01-01")
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"start=2026-01-01"))
    assert_no_axe_violations(axe(page), "the missed-targets report, chosen days")
