"""The staffing planner in a browser, by keyboard: a supervisor plans next week from the
tickets admin, sees the Spanish Monday-morning gap in words, moves a week on, downloads the
CSV, and mistypes the service level (axe clean throughout, and at 320 px).
Screenshots: artifacts/staffing-planner*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from hub.accounts.models import StaffRole, User
from hub.accounts.services import staff_groups_ensure
from routing.erlang import agents_for_service_level
from tests.e2e.conftest import ARTIFACTS, assert_no_axe_violations
from tests.tickets.staffing_world import (
    PASSWORD,
    monday_morning_callbacks,
    spanish_agent_on_monday_mornings,
    supervisor_add,
    this_week,
)
from tickets.staffing.selectors import MEASURED_WEEKS

pytestmark = pytest.mark.e2e


@pytest.fixture
def supervisor(transactional_db: None) -> User:
    user = supervisor_add()
    user.groups.add(staff_groups_ensure()[StaffRole.AGENT])
    return user


def test_a_supervisor_plans_next_week_and_finds_the_monday_morning_gap(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    axe: Callable[[Page], list[dict[str, Any]]],
    supervisor: User,
    standard_user: User,
) -> None:
    spanish_agent_on_monday_mornings()
    monday_morning_callbacks(standard_user, per_week=16, weeks=4)
    needed = agents_for_service_level(
        traffic=16 * 4 * 2 / MEASURED_WEEKS * 480 / 3600,
        handle_seconds=480,
        answer_within_seconds=600,
        share=0.8,
    )
    login(page, live_server, supervisor.email, PASSWORD)

    # From the agents' tickets list, by keyboard.
    page.goto(f"{live_server.url}/admin/tickets/ticket/")
    page.get_by_role("link", name="Staffing planner").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staffing planner")
    expect(page.locator("main")).to_contain_text("Europe/Rome")
    expect(page.locator("#id_service_level")).to_have_value("80")
    expect(page.locator("#id_answer_within")).to_have_value("10")

    # Next week, the Spanish general queue: typed and chosen by keyboard, sent with Enter.
    next_monday = this_week() + timedelta(weeks=1)
    page.locator("#id_week").fill(next_monday.isoformat())
    page.locator("#id_queue").select_option("es-general")
    page.locator("#plan-submit").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"queue=es-general"))
    detail = page.locator(".staffing-table")
    nine = (
        detail.locator("tbody")
        .first.get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name="09:00", exact=True))
    )
    expect(nine).to_contain_text(f"Short by {needed - 1}")
    expect(page.locator(".staffing-summary")).to_contain_text("Spanish · General support")
    check(page, "staffing-planner")
    ARTIFACTS.mkdir(exist_ok=True)
    nine.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "staffing-planner-gap.png"))

    # The CSV holds the same numbers.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the plan as CSV").click()
    text = open(download_info.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    assert f"es,general,{next_monday.isoformat()}T09:00" in text
    row = next(line for line in text.splitlines() if f"es,general,{next_monday}T09:00" in line)
    assert row.endswith(f",{needed},1,{needed - 1}")

    # A week on, and back: the plan redraws in place.
    page.get_by_role("link", name="Next week").focus()
    page.keyboard.press("Enter")
    two_weeks = (next_monday + timedelta(weeks=1)).isoformat()
    expect(page).to_have_url(re.compile(f"week={two_weeks}"))
    expect(page.locator("#id_week")).to_have_value(two_weeks)

    # A share of 100 % cannot be planned for: the error summary takes the focus.
    page.locator("#id_service_level").fill("100")
    page.locator("#plan-submit").focus()
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The share answered in time must be between 1 and 99")
    expect(page.locator("#id_service_level")).to_have_value("100")
    assert_no_axe_violations(axe(page), "the staffing planner with an error")
