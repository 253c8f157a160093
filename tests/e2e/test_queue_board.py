"""The agents' queue board in a browser, by keyboard: reached from the admin, redrawn by htmx,
and the next callback taken from it. Screenshots: artifacts/queue-board*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from hub.accounts.models import User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.tickets.test_queue_board import on_the_roster, queue_code, queued_callback
from tickets.models import Status, Ticket

pytestmark = pytest.mark.e2e


def test_an_agent_takes_the_next_callback_from_the_board(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    agent: User,
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    on_the_roster(agent, languages=["en"], areas=[surveys_area])
    first = queued_callback(standard_user, surveys_area, subject="Heatmap is empty")
    queued_callback(standard_user, surveys_area, language="it", subject="Quote mancanti")
    login(page, live_server, agent.email, PASSWORD)

    # From the admin, by keyboard.
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Queue board").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue board")
    english = page.locator(f'[id="queue-{queue_code(surveys_area)}"]')
    expect(english.locator("td").first).to_have_text("1")
    expect(english).to_contain_text("Callback")
    # Nobody speaks Italian: the queue shows who waits, and no button.
    italian = page.locator(f'[id="queue-{queue_code(surveys_area, "it")}"]')
    expect(italian).to_contain_text("Not your skills")
    check(page, "queue-board")

    # htmx redraws the table: a new callback shows without a reload, and the keyboard's
    # place on the page survives the redraw (the button keeps its id).
    page.set_viewport_size({"width": 1280, "height": 900})
    take = english.get_by_role("button", name="Take the next callback")
    take.focus()
    queued_callback(standard_user, surveys_area, subject="Export fails")
    expect(english.locator("td").first).to_have_text("2", timeout=12_000)
    expect(take).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/admin/tickets/ticket/{first.pk}/change/$"))
    expect(page.locator(".messagelist")).to_contain_text(f"You took {first.number}")
    first.refresh_from_db()
    assert first.assigned_to == agent and first.status == Status.IN_PROGRESS


def test_a_target_passing_shows_on_the_board(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    agent: User,
    standard_user: User,
    surveys_area: ProductArea,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_the_roster(agent, languages=["en"], areas=[surveys_area])
    waiting = queued_callback(standard_user, surveys_area, subject="Dashboard is blank")
    Ticket.objects.filter(pk=waiting.pk).update(
        first_response_due_at=timezone.now() + timedelta(minutes=30),
        resolution_due_at=timezone.now() + timedelta(days=2),
    )
    login(page, live_server, agent.email, PASSWORD)
    page.goto(f"{live_server.url}/hub/agents/board/")
    row = page.locator(f'[id="queue-{queue_code(surveys_area)}"]')
    expect(row).to_contain_text("1 due within the hour")

    # An hour later nobody has called back: the first-response target has passed.
    moved = timezone.now() + timedelta(hours=1)
    real_now = timezone.now
    offset = moved - real_now()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)
    page.get_by_role("link", name="Refresh").click()
    expect(row).to_contain_text("1 target missed")
    check(page, "queue-board-target-missed")
