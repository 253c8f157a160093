"""The contact forms in a real browser.

A standard user asks for a callback: the country drop-down, a number typed with +39, the
wait redrawn by htmx when the language changes, the English-or-wait dialog on submit, the
confirmation. A bad number: the error summary focused. An email with a screenshot
attached. A seat holder books a conference call. axe on every page; screenshots at 1280 and
320 px (artifacts/contact-*.png). The no-JavaScript page of the fallback is covered by the
test client (tests/hub/test_contact_forms.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, FilePayload, Page, ViewportSize, expect

from hub.accounts.models import User
from routing.models import Agent, ProductArea
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_no_axe_violations
from tests.hub import contact_world
from tickets.models import Attachment, Channel, ConferenceBooking, Ticket

pytestmark = pytest.mark.e2e

NARROW: ViewportSize = {"width": 320, "height": 800}
WIDE: ViewportSize = {"width": 1280, "height": 900}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def world(transactional_db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return contact_world.open_world()


@pytest.fixture
def check(
    axe: Callable[[Page], list[dict[str, Any]]], screenshot: Callable[[Page, str], Path]
) -> Callable[[Page, str], None]:
    """axe, then screenshots at 1280 and 320 px wide; nothing scrolls sideways at 320."""

    def look(page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        assert_no_axe_violations(axe(page), name)
        screenshot(page, f"{name}-1280")
        page.set_viewport_size(NARROW)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways at 320 px by {overflow} px"
        screenshot(page, f"{name}-320")
        page.set_viewport_size(WIDE)

    return look


def contact_url(live_server: Any, area: ProductArea, form: str) -> str:
    return f"{live_server.url}/hub/technical/areas/{area.slug}/contact/{form}/"


def test_a_standard_user_asks_for_a_callback_and_takes_english_when_italian_is_busy(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    login(page, live_server, standard_user.email, PASSWORD)
    page.goto(contact_url(live_server, surveys_area, "phone"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for a phone callback")
    expect(page.get_by_label("Email address")).to_have_value(standard_user.email)
    expect(page.get_by_label("The call may be recorded for training and quality")).to_be_checked()
    wait = page.locator("#phone-wait")
    expect(wait).to_contain_text("About 1 minute for a callback in English.")
    check(page, "contact-01-phone-form")

    page.get_by_label("Country").select_option("IT")
    page.get_by_label("Phone number").fill("+39 06 1234 5678")
    page.get_by_label("Subject").fill("Survey link shows an error")
    page.get_by_label("Language of the call").select_option("it")
    # htmx redraws the live region: the Italian queue is long, English is quick.
    expect(wait).to_contain_text("About 48 minutes for a callback in Italian.")
    expect(wait).to_contain_text("In English: about 1 minute.")
    expect(page.locator("#fallback-dialog")).to_have_attribute("data-suggest", "true")
    check(page, "contact-02-phone-wait-in-italian")

    page.get_by_role("button", name="Request a callback").click()
    dialog = page.get_by_role("dialog", name="Get help sooner in English?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Italian")
    expect(dialog).to_contain_text("about 48 minutes")
    expect(dialog).to_contain_text("about 1 minute")
    check(page, "contact-03-fallback-dialog")
    dialog.get_by_role("button", name="Call me in English").click()

    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    ticket = Ticket.objects.filter(requester=standard_user, channel=Channel.PHONE).latest("pk")
    assert page.url.endswith(f"/hub/requests/{ticket.number}/")
    assert (ticket.language, ticket.phone_number) == ("en", "+390612345678")
    assert ticket.recording_consent is True and ticket.description == ticket.subject
    expect(page.get_by_text(ticket.number).first).to_be_visible()
    check(page, "contact-04-phone-confirmation")


def test_choosing_to_wait_for_italian_in_the_dialog_keeps_italian(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    world: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    login(page, live_server, standard_user.email, PASSWORD)
    page.goto(contact_url(live_server, surveys_area, "phone") + "?language=it")
    page.get_by_label("Phone number").fill("020 7946 0123")
    page.get_by_label("Subject").fill("Export fails")
    page.get_by_role("button", name="Request a callback").click()
    page.get_by_role("dialog").get_by_role("button", name="Wait for Italian").click()
    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    ticket = Ticket.objects.filter(requester=standard_user, channel=Channel.PHONE).latest("pk")
    assert (ticket.language, ticket.phone_number) == ("it", "+442079460123")


def test_a_wrong_number_shows_the_error_summary_focused_and_keeps_the_answers(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    login(page, live_server, standard_user.email, PASSWORD)
    page.goto(contact_url(live_server, surveys_area, "phone"))
    page.get_by_label("Country").select_option("IT")
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_label("Subject").fill("Keep this")
    page.get_by_role("button", name="Request a callback").click()
    page.wait_for_load_state("networkidle")
    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a valid phone number for Italy")
    expect(page.get_by_label("Subject")).to_have_value("Keep this")
    expect(page.get_by_label("Phone number")).to_have_value("07700 900123")
    check(page, "contact-05-phone-error")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Phone number")).to_be_focused()
    assert not Ticket.objects.filter(requester=standard_user).exists()


def test_the_country_fills_in_its_calling_code_and_a_typed_code_chooses_the_country(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    login(page, live_server, standard_user.email, PASSWORD)
    page.goto(contact_url(live_server, surveys_area, "phone"))
    country, number = page.get_by_label("Country"), page.get_by_label("Phone number")
    # With htmx here the wait follows the choices by itself: no button for it.
    expect(page.get_by_role("button", name="Update the wait")).to_have_count(0)

    country.select_option("IT")
    expect(number).to_have_value("+39 ")
    number.press("End")
    number.press_sequentially("06 1234 5678")
    expect(number).to_have_value("+39 06 1234 5678")
    country.select_option("FR")  # the number after the old code is kept
    expect(number).to_have_value("+33 06 1234 5678")

    number.fill("")
    number.press_sequentially("+39 06")
    expect(country).to_have_value("IT")
    number.fill("")
    number.press_sequentially("+1 212 555 0100")
    expect(country).to_have_value("US")  # the main country of +1
    number.fill("")
    number.press_sequentially("+44 20 7946 0123")
    expect(country).to_have_value("GB")
    page.get_by_label("Extension (optional)").fill("7")
    page.get_by_label("Subject").fill("Dashboards do not load")
    page.get_by_role("button", name="Request a callback").click()

    # The confirmation shows the number as it reads and the language, and offers a change.
    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    summary = page.locator(".summary-list")
    expect(summary).to_contain_text("+44 20 7946 0123, extension 7")
    expect(summary).to_contain_text("English")
    check(page, "contact-08-confirmation-number-and-language")
    page.get_by_role("link", name="Change the number or the language").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change your callback")
    expect(page.get_by_label("Phone number")).to_have_value("+44 20 7946 0123")
    check(page, "contact-09-change-callback")
    page.get_by_label("Country").select_option("IT")
    expect(page.get_by_label("Phone number")).to_have_value("+39 20 7946 0123")
    page.get_by_label("Phone number").fill("+39 06 1234 5678")
    page.get_by_label("Language of the call").select_option("it")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    expect(page.get_by_text("Your callback has been changed.")).to_be_visible()
    expect(summary).to_contain_text("+39 06 1234 5678")
    expect(summary).to_contain_text("Italian")
    ticket = Ticket.objects.get(requester=standard_user)
    assert (ticket.phone_number, ticket.language) == ("+390612345678", "it")


def test_without_javascript_update_the_wait_redraws_it_and_keeps_the_answers(
    browser: Browser,
    live_server: Any,
    login: Callable[..., None],
    screenshot: Callable[[Page, str], Path],
    world: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    contact_world.thin_italian_cover(standard_user, surveys_area)
    before = Ticket.objects.count()
    context = browser.new_context(java_script_enabled=False, viewport=WIDE, locale="en-GB")
    page = context.new_page()
    try:
        login(page, live_server, standard_user.email, PASSWORD)
        page.goto(contact_url(live_server, surveys_area, "phone"))
        wait = page.locator("#phone-wait")
        expect(wait).to_contain_text("About 1 minute for a callback in English.")
        page.get_by_label("Language of the call").select_option("it")
        page.get_by_label("Phone number").fill("06 1234 5678")
        page.get_by_label("Subject").fill("Survey link shows an error")
        page.get_by_label("The call may be recorded for training and quality").uncheck()
        expect(wait).to_contain_text("in English")  # nothing redraws it without scripts
        page.get_by_role("button", name="Update the wait").click()
        expect(wait).to_contain_text("About 48 minutes for a callback in Italian.")
        expect(page.get_by_label("Language of the call")).to_have_value("it")
        expect(page.get_by_label("Phone number")).to_have_value("06 1234 5678")
        expect(page.get_by_label("Subject")).to_have_value("Survey link shows an error")
        expect(
            page.get_by_label("The call may be recorded for training and quality")
        ).not_to_be_checked()
        expect(page.locator(".error-summary")).to_have_count(0)
        screenshot(page, "contact-10-no-js-wait-updated")
        assert Ticket.objects.count() == before
    finally:
        context.close()


def test_an_email_request_with_a_screenshot(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    login(page, live_server, standard_user.email, PASSWORD)
    page.goto(contact_url(live_server, surveys_area, "email"))
    check(page, "contact-06-email-form")
    page.get_by_label("Subject").fill("Dashboard export fails")
    page.get_by_label("Describe the question or problem").fill("It stops at 80 %.")
    page.get_by_label("Attachments (optional)").set_input_files(
        [FilePayload(name="screen.png", mimeType="image/png", buffer=PNG)]
    )
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    attachment = Attachment.objects.get(ticket__requester=standard_user)
    assert (attachment.original_name, attachment.content_type) == ("screen.png", "image/png")


def test_a_seat_holder_books_a_conference_call(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: list[Agent],
    seat_holder: User,
    surveys_area: ProductArea,
) -> None:
    login(page, live_server, seat_holder.email, PASSWORD)
    page.goto(contact_url(live_server, surveys_area, "conference"))
    expect(page.get_by_text("Times are in your time zone, America/Denver.")).to_be_visible()
    check(page, "contact-07-conference-form")
    first_day = page.locator("details.slot-day").first
    first_time = first_day.locator("label").first
    chosen = first_time.inner_text()
    first_time.click()
    page.get_by_label("I would like to share my screen during the call").check()
    page.get_by_label("Subject").fill("Quarterly dashboard review")
    page.get_by_role("button", name="Book the call").click()
    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    booking = ConferenceBooking.objects.select_related("ticket").get()
    assert booking.ticket.requester == seat_holder and booking.screen_sharing
    assert (
        booking.starts_at.astimezone(ZoneInfo("America/Denver")).strftime("%H:%M") == chosen.strip()
    )
    check(page, "contact-08-conference-confirmation")
