"""The contact flow's question pages in a real browser: from Contact Support to the
method picker, Account Services and the confirmation, Discover, in English, Italian and
French; hover and keyboard focus on the product areas; axe on every page; screenshots at
1280 and 320 px wide (artifacts/flow-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from hub.accounts.models import User
from routing.configuration import configuration_changed
from routing.models import Agent, AgentShift, LanguageWindow, ProductArea, ServiceWindow
from tests.conftest import PASSWORD
from tickets.models import CallbackRequest, Channel, Team, Ticket
from tickets.services import ticket_create

pytestmark = pytest.mark.e2e

MIDNIGHT = time(0)


# --- A support world that does not depend on today's date --------------------------------


def _every_day(model: type[ServiceWindow | LanguageWindow], **fields: str) -> None:
    for day in range(7):
        model.objects.create(
            weekday=day, opens=MIDNIGHT, closes=MIDNIGHT, time_zone="UTC", **fields
        )


def _agent(email: str, *, team: str, languages: list[str], chat: bool = False) -> Agent:
    user = User.objects.create_user(username=email, email=email, is_staff=True)
    agent = Agent.objects.create(
        user=user, team=team, languages=languages, time_zone="UTC", available_for_chat=chat
    )
    AgentShift.objects.bulk_create(
        AgentShift(agent=agent, weekday=day, opens=MIDNIGHT, closes=MIDNIGHT) for day in range(7)
    )
    configuration_changed()  # bulk_create sends no signal
    return agent


@pytest.fixture
def open_world(product_areas: list[ProductArea]) -> None:
    """Every channel open round the clock, English, Italian and French staffed."""
    ServiceWindow.objects.all().delete()
    LanguageWindow.objects.all().delete()
    for channel in ("chat", "email", "phone", "conference"):
        for team in ("general", "enterprise"):
            _every_day(ServiceWindow, channel=channel, team=team)
    for language in ("it", "fr"):
        _every_day(LanguageWindow, language=language)
    _agent("en.agent@hub.example", team="general", languages=["en"], chat=True)
    _agent("eu.agent@hub.example", team="general", languages=["it", "fr", "en"])
    _agent("specialist@hub.example", team="enterprise", languages=["en", "it", "fr"])


def _sign_in(page: Page, live_server: Any, login: Callable[..., None], user: User) -> None:
    login(page, live_server, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/hub/$"))


def _choose(page: Page, label: str) -> None:
    page.get_by_label(label).check()
    page.get_by_role("button", name="Continue").click()


def _card(page: Page, title: str) -> Locator:
    return page.locator(".method-card").filter(has=page.get_by_role("heading", name=title))


def _detail_shown(page: Page, slug: str) -> bool:
    return bool(
        page.evaluate(
            """(slug) => {
                const detail = document.getElementById(`area-${slug}-description`).parentElement;
                const style = getComputedStyle(detail);
                return style.opacity === "1" && style.clipPath === "none";
            }""",
            slug,
        )
    )


# --- The paths ------------------------------------------------------------------------------


def test_a_standard_user_goes_from_contact_support_to_the_picker_and_a_phone_card(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    standard_user: User,
    brand_admin: User,
) -> None:
    _sign_in(page, live_server, login, standard_user)
    page.goto(f"{live_server.url}/accounts/password/change/")
    page.get_by_role("link", name="Contact Support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help?")
    check(page, "flow-01-team")

    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(re.compile("^Error:"))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("Choose the kind of help you need")
    check(page, "flow-02-team-error")
    page.locator(".error-summary a").click()
    expect(page.get_by_label("Get technical support")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Could your brand administrator help?"
    )
    expect(page.get_by_role("link", name=brand_admin.email)).to_have_attribute(
        "href", f"mailto:{brand_admin.email}"
    )
    check(page, "flow-03-redirect-brand-admin")
    page.get_by_role("link", name="Continue to technical support").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Which product do you need help with?"
    )
    check(page, "flow-04-areas")
    page.get_by_role("link", name="Surveys & XM Directory").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ask the assistant")
    check(page, "flow-05-assistant-step")
    page.get_by_role("link", name="See how to contact support").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("How would you like to contact us?")
    phone = _card(page, "Phone callback")
    expect(phone).to_contain_text("Available now")
    expect(phone).to_contain_text(re.compile(r"Estimated wait: about \d+ minutes?"))
    # Nobody has switched chat on in the chat console (tests/e2e/test_chat.py has one who has).
    expect(_card(page, "Chat")).to_contain_text("no agent is free right now")
    expect(_card(page, "Chat").get_by_role("link", name="Start a chat")).to_have_attribute(
        "aria-disabled", "true"
    )
    expect(_card(page, "Scheduled conference call")).to_contain_text(
        "Only for users with an Enterprise Success Package."
    )
    check(page, "flow-06-methods-standard")

    phone.get_by_role("link", name="Request a callback").click()
    expect(page).to_have_url(re.compile(r"/surveys-xm-directory/contact/phone/\?language=en$"))


def test_the_picker_redraws_for_another_support_language(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    standard_user: User,
) -> None:
    _sign_in(page, live_server, login, standard_user)
    page.goto(f"{live_server.url}/hub/technical/areas/cx-dashboards/contact/")
    page.get_by_label("Language for your support").select_option("it")
    # htmx redraws the cards in place; without JavaScript the Show options button does it.
    expect(page.locator(".method-cards__intro")).to_contain_text("Italian")
    expect(page).to_have_url(re.compile(r"\?language=it$"))
    chat = _card(page, "Chat")
    expect(chat).to_contain_text("Not offered in Italian for this product area.")
    expect(chat).to_contain_text("For help in Italian, choose phone or email.")
    expect(
        _card(page, "Email").get_by_role("link", name="Send an email request")
    ).to_have_attribute("href", re.compile(r"/contact/email/\?language=it$"))
    check(page, "flow-07-methods-in-italian-support")


def test_outside_italian_hours_the_picker_takes_requests_and_offers_english_now(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    standard_user: User,
) -> None:
    # Italian is staffed only on the day after tomorrow, 08:00–16:30 in Rome.
    rome = ZoneInfo("Europe/Rome")
    day = timezone.localtime(timezone.now(), rome).date() + timedelta(days=2)
    LanguageWindow.objects.filter(language="it").delete()
    LanguageWindow.objects.create(
        language="it", weekday=day.weekday(), opens=time(8), closes=time(16, 30), time_zone=rome.key
    )
    _sign_in(page, live_server, login, standard_user)
    page.goto(f"{live_server.url}/hub/technical/areas/surveys-xm-directory/contact/?language=it")
    email, phone = _card(page, "Email"), _card(page, "Phone callback")
    expect(email).to_contain_text("Nobody who speaks Italian is on duty at the moment.")
    expect(email).to_contain_text("We will answer from")
    expect(phone).to_contain_text("We will call you from")
    expect(phone.get_by_role("link", name="Request a callback in English")).to_have_attribute(
        "href", re.compile(r"/contact/phone/\?language=en$")
    )
    expect(phone.get_by_role("link", name="Request a callback in Italian")).to_have_attribute(
        "href", re.compile(r"/contact/phone/\?language=it$")
    )
    check(page, "flow-08-methods-italian-closed")


def test_a_callback_confirmation_shows_the_place_in_the_queue(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    standard_user: User,
) -> None:
    area = ProductArea.objects.get(slug="surveys-xm-directory")
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Survey flow skips a block",
        product_area=area,
        language="en",
        phone_number="+442079460000",
    )
    # The ticket service queues the callback once the ticket is committed.
    assert CallbackRequest.objects.filter(ticket=ticket).exists()
    _sign_in(page, live_server, login, standard_user)
    page.goto(f"{live_server.url}/hub/requests/{ticket.number}/")
    expect(page.locator(".confirmation-panel__number")).to_have_text(ticket.number)
    expect(page.locator("#queue-status")).to_contain_text(
        "You are number 1 in the queue for a callback."
    )
    check(page, "flow-14-confirmation-callback")


def test_a_standard_user_is_told_whom_to_ask_for_account_services(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    standard_user: User,
    brand_admin: User,
) -> None:
    _sign_in(page, live_server, login, standard_user)
    _choose(page, "Get account services support")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ask someone who manages your account"
    )
    expect(page.get_by_role("link", name=brand_admin.email)).to_be_visible()
    check(page, "flow-15-account-services-ask-your-administrator")


def test_a_brand_administrator_reaches_account_services_and_its_confirmation(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    brand_admin: User,
) -> None:
    _sign_in(page, live_server, login, brand_admin)
    _choose(page, "Get account services support")
    expect(page.get_by_role("heading", level=1)).to_have_text("What is your request about?")
    check(page, "flow-10-account-services")

    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_title(re.compile("^Error:"))
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("Choose what your request is about")
    page.get_by_label("Describe your request").fill("Our renewal quote shows the wrong seats.")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".error-summary")).not_to_contain_text("Describe your request")
    expect(page.get_by_label("Describe your request")).to_have_value(
        "Our renewal quote shows the wrong seats."
    )
    check(page, "flow-11-account-services-error")

    page.get_by_label("Billing, payment or renewal").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request received")
    ticket = Ticket.objects.get(requester=brand_admin)
    assert ticket.team == Team.ACCOUNT_SERVICES and ticket.channel == Channel.WEB
    assert ticket.subject == "Billing, payment or renewal"
    expect(page.locator(".confirmation-panel__number")).to_have_text(ticket.number)
    expect(page.get_by_text("We have sent you a confirmation email")).to_be_visible()
    check(page, "flow-12-confirmation-account-services")


def test_a_brand_administrator_is_shown_their_account_team(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    brand_admin: User,
) -> None:
    organisation = brand_admin.membership.organisation
    organisation.account_team_name = "Priya Raman"
    organisation.account_team_email = "accounts-acme@hub.example"
    organisation.account_team_phone = "+44 20 7946 0018"
    organisation.save()
    _sign_in(page, live_server, login, brand_admin)
    _choose(page, "Get technical support")
    expect(page.get_by_role("heading", level=1)).to_have_text("Could your account team help?")
    expect(page.get_by_text("Priya Raman")).to_be_visible()
    expect(page.get_by_role("link", name="+44 20 7946 0018")).to_have_attribute(
        "href", "tel:+442079460018"
    )
    check(page, "flow-13-redirect-account-team")


def test_a_seat_holder_goes_straight_to_the_areas_then_the_methods(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    seat_holder: User,
) -> None:
    _sign_in(page, live_server, login, seat_holder)
    _choose(page, "Get technical support")
    expect(page).to_have_url(re.compile(r"/hub/technical/areas/$"))
    page.get_by_role("link", name="Employee Experience").click()
    expect(page).to_have_url(re.compile(r"/employee-experience/contact/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("How would you like to contact us?")
    expect(page.get_by_role("link", name="Back", exact=True)).to_have_attribute(
        "href", "/hub/technical/areas/"
    )
    phone = _card(page, "Phone callback")
    expect(phone).to_contain_text("Enterprise Support")
    expect(phone).to_contain_text("Recommended for urgent problems")
    conference = _card(page, "Scheduled conference call")
    expect(conference.get_by_role("link", name="Book a conference call")).to_have_attribute(
        "href", re.compile(r"/employee-experience/contact/conference/\?language=en$")
    )
    check(page, "flow-20-methods-seat-holder")


def test_a_fedramp_user_goes_straight_to_the_methods(
    page: Page,
    live_server: Any,
    check: Callable[[Page, str], None],
    open_world: None,
    fedramp_user: User,
) -> None:
    page.goto(f"{live_server.url}/fedramp/login/")
    page.locator("input[name=login]").fill(fedramp_user.email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _choose(page, "Get technical support")
    expect(page).to_have_url(re.compile(r"/hub/technical/areas/$"))
    page.get_by_role("link", name="Integrations / API").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How would you like to contact us?")
    expect(_card(page, "Chat")).to_contain_text("Not offered in the FedRAMP environment.")
    expect(_card(page, "Email").get_by_role("link", name="Send an email request")).to_be_visible()
    expect(page.get_by_text("Ask the assistant")).to_have_count(0)
    check(page, "flow-30-methods-fedramp")


def test_anyone_reaches_the_discover_page_and_no_request_is_made(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    seat_holder: User,
) -> None:
    _sign_in(page, live_server, login, seat_holder)
    page.goto(f"{live_server.url}/hub/technical/areas/")
    page.get_by_role("link", name="XM Discover").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Contact the XM Discover support team"
    )
    check(page, "flow-40-discover")
    assert not Ticket.objects.exists()


def test_hovering_or_focusing_an_area_shows_its_picture_and_description(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    open_world: None,
    seat_holder: User,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.emulate_media(reduced_motion="reduce")
    _sign_in(page, live_server, login, seat_holder)
    page.goto(f"{live_server.url}/hub/technical/areas/")
    surveys = page.get_by_role("link", name="Surveys & XM Directory")
    expect(surveys).to_have_accessible_description(re.compile("^Building, editing and sending"))
    assert not _detail_shown(page, "surveys-xm-directory")

    surveys.hover()
    assert _detail_shown(page, "surveys-xm-directory")
    screenshot(page, "flow-50-area-hover")

    page.mouse.move(5, 5)
    assert not _detail_shown(page, "surveys-xm-directory")
    page.get_by_role("link", name="Back", exact=True).focus()
    for _ in range(3):
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-describedby')")
    slug = focused.removeprefix("area-").removesuffix("-description")
    assert slug != "surveys-xm-directory"
    assert _detail_shown(page, slug)
    assert not _detail_shown(page, "surveys-xm-directory")
    screenshot(page, "flow-51-area-keyboard-focus")


def test_the_flow_in_italian_from_the_footer(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    standard_user: User,
) -> None:
    _sign_in(page, live_server, login, standard_user)
    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Come possiamo aiutarti?")
    check(page, "flow-60-it-team")
    page.locator("input[value=technical]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/hub/technical/$"))
    check(page, "flow-61-it-redirect")
    page.locator("main a.button").click()
    expect(page.get_by_role("link", name="Sondaggi e XM Directory")).to_be_visible()
    check(page, "flow-62-it-areas")
    page.get_by_role("link", name="Sondaggi e XM Directory").click()
    # The assistant step: its link to the contact methods sits under the question box.
    page.locator("main .flow__aside a").click()
    expect(page).to_have_url(re.compile(r"/surveys-xm-directory/contact/$"))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Come preferisci contattarci?")
    expect(page.locator(".method-cards__intro")).to_contain_text("in italiano")
    check(page, "flow-63-it-methods")


def test_the_flow_in_french_from_the_footer(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    open_world: None,
    seat_holder: User,
) -> None:
    _sign_in(page, live_server, login, seat_holder)
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    check(page, "flow-70-fr-team")
    page.locator("input[value=technical]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/hub/technical/areas/$"))
    check(page, "flow-71-fr-areas")
    page.locator("a[href$='/cx-dashboards/']").click()
    expect(page).to_have_url(re.compile(r"/cx-dashboards/contact/$"))
    expect(page.locator(".caption")).to_have_text("Tableaux de bord CX")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("^Comment souhaitez-vous nous contacter")
    )
    expect(page.locator(".method-cards__intro")).to_contain_text("en français")
    check(page, "flow-72-fr-methods")
