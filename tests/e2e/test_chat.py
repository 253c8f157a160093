"""Live chat in a real browser: a customer and an agent, each in a browser context of
their own, exchange messages; one side reloads mid-conversation and nothing is lost or shown
twice; the chat ends and its transcript is on the ticket. axe on every page, screenshots at
1280 and 320 px (artifacts/chat-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from hub.accounts.models import User
from routing.models import ProductArea
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, SCREENSHOT_TIMEOUT_MS, assert_no_axe_violations
from tests.tickets.chat_world import chat_agent, chat_open_round_the_clock, open_chat
from tickets.chat import services as chat_services
from tickets.models import ChatMessage, ChatSession, EventKind, Status, Ticket

pytestmark = pytest.mark.e2e

NARROW: ViewportSize = {"width": 320, "height": 800}
WIDE: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture
def world(product_areas: list[ProductArea]) -> User:
    chat_open_round_the_clock()
    return chat_agent("ana@hub.example", first_name="Ana")


@pytest.fixture
def agent_page(open_page: Callable[..., Page]) -> Page:
    """The agent's own browser context: another person at another computer."""
    return open_page()


def screenshot(page: Page, name: str) -> Path:
    # caret="initial": Playwright would otherwise hide a text box's caret with an inline
    # style, which the pages' Content Security Policy refuses (and the test would fail).
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial", timeout=SCREENSHOT_TIMEOUT_MS)
    return path


@pytest.fixture
def check(axe: Callable[[Page], list[dict[str, Any]]]) -> Callable[[Page, str], None]:
    """axe, then screenshots at 1280 and 320 px; no sideways scrolling at 320."""

    def look(page: Page, name: str) -> None:
        page.wait_for_load_state("domcontentloaded")
        assert_no_axe_violations(axe(page), name)
        screenshot(page, name)
        page.set_viewport_size(NARROW)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        screenshot(page, f"{name}-320")
        assert overflow <= 0, f"{name} scrolls sideways at 320 px by {overflow} px"
        assert_no_axe_violations(axe(page), f"{name} at 320 px")
        page.set_viewport_size(WIDE)

    return look


def _sign_in(page: Page, live_server: Any, login: Callable[..., None], email: str) -> None:
    login(page, live_server, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/hub/$"))


def _log(page: Page) -> Any:
    return page.locator(".chat-log__list")


def _say(page: Page, text: str) -> None:
    # As a person would: once the page has finished loading its scripts.
    page.wait_for_function(
        "() => window.htmx && document.documentElement.classList.contains('chat-js')"
    )
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def test_a_customer_and_an_agent_hold_a_chat_end_to_end(
    page: Page,
    agent_page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: User,
    standard_user: User,
) -> None:
    # The agent opens the console and starts taking chats.
    _sign_in(agent_page, live_server, login, world.email)
    agent_page.goto(f"{live_server.url}/hub/agents/chats/")
    expect(agent_page.get_by_role("heading", level=1)).to_have_text("Chat console")
    expect(agent_page.get_by_text("Not taking chats")).to_be_visible()
    agent_page.get_by_role("button", name="Start taking chats").click()
    expect(agent_page.get_by_text("Available for chat")).to_be_visible()
    check(agent_page, "chat-01-console-empty")

    # The customer finds chat available on the picker and starts one.
    _sign_in(page, live_server, login, standard_user.email)
    page.goto(f"{live_server.url}/hub/technical/areas/surveys-xm-directory/contact/")
    chat_card = page.locator(".method-card").filter(has=page.get_by_role("heading", name="Chat"))
    expect(chat_card).to_contain_text("Available now")
    chat_card.get_by_role("link", name="Start a chat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a chat")
    expect(page.locator("#chat-availability")).to_contain_text("Chat in English is open now.")
    check(page, "chat-02-start")
    page.get_by_role("button", name="Start the chat").click()
    expect(page).to_have_title(re.compile("^Error:"))
    expect(page.locator(".error-summary")).to_be_focused()
    page.get_by_label("What do you need help with?").fill(
        "Our survey link shows an error since this morning."
    )
    page.get_by_role("button", name="Start the chat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chat with support")
    expect(page.locator(".chat-status")).to_contain_text("You are number 1 in the queue")
    _say(page, "It happens on every device.")
    expect(_log(page)).to_contain_text("It happens on every device.")
    check(page, "chat-03-waiting")
    ticket = Ticket.objects.get(requester=standard_user)

    # The agent sees it waiting (the list refreshes itself) and accepts it.
    accept = agent_page.get_by_role("button", name=f"Accept {ticket.number}")
    expect(accept).to_be_visible(timeout=15_000)
    check(agent_page, "chat-04-console-waiting")
    accept.click()
    pane = agent_page.locator(f"#chat-{ticket.chat.pk}")
    expect(pane).to_contain_text("It happens on every device.")
    expect(page.locator(".chat-status")).to_contain_text("Ana from support is with you.")
    expect(_log(page)).to_contain_text("Ana from support has joined the chat.")

    # They write to each other; each line arrives on the other side.
    _say(agent_page, "Hello, which browser do you use?")
    expect(_log(page)).to_contain_text("Hello, which browser do you use?")
    _say(page, "Firefox, version 140.")
    expect(pane).to_contain_text("Firefox, version 140.")

    # The customer reloads mid-conversation, and the agent writes meanwhile.
    page.reload()
    _say(agent_page, "Thanks. Please open https://help.example/cache and clear the cache.")
    expect(_log(page)).to_contain_text("clear the cache")
    expect(page.get_by_role("link", name="https://help.example/cache")).to_have_attribute(
        "rel", "nofollow noopener noreferrer"
    )
    _say(page, "Done, it works now!")
    expect(pane).to_contain_text("Done, it works now!")
    # The agent reloads too.
    agent_page.reload()
    pane = agent_page.locator(f"#chat-{ticket.chat.pk}")
    _say(agent_page, "Great. Anything else?")
    expect(_log(page)).to_contain_text("Anything else?")
    check(page, "chat-05-conversation")
    check(agent_page, "chat-06-console-conversation")

    # Nothing lost, nothing doubled, on either side.
    lines = [
        "Our survey link shows an error since this morning.",
        "It happens on every device.",
        "Hello, which browser do you use?",
        "Firefox, version 140.",
        "clear the cache",
        "Done, it works now!",
        "Anything else?",
    ]
    page.wait_for_timeout(2500)  # a few more polls: a doubled line would show by now
    for side in (page, agent_page):
        text = side.locator(f"#chat-{ticket.chat.pk}-log").inner_text()
        for line in lines:
            assert text.count(line) == 1, (line, text)
        assert side.locator(f"#chat-{ticket.chat.pk}-log .chat-message").count() == len(lines)

    # The customer ends the chat; the agent's pane says so; the transcript is on the ticket.
    page.get_by_role("button", name="End chat").click()
    expect(page.locator(".chat-status")).to_contain_text("The customer ended the chat")
    expect(pane.locator(".chat-status")).to_contain_text("The customer ended the chat")
    expect(pane).to_contain_text("no more messages can be sent")
    page.get_by_role("button", name="Email me the transcript").click()
    expect(page.locator(".messages")).to_contain_text("We are emailing the transcript")
    check(page, "chat-07-ended")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    timeline = list(
        ticket.events.filter(kind=EventKind.CHAT_MESSAGE).values_list("message", flat=True)
    )
    assert len(timeline) == len(lines)
    assert timeline[0] == lines[0] and timeline[-1] == "Great. Anything else?"


def test_two_agents_race_for_a_chat_and_the_slower_one_is_told(
    page: Page,
    agent_page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: User,
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    from tests.tickets.chat_world import free, open_chat
    from tickets.chat.services import chat_accept

    free(world)
    other = free(chat_agent("ben@hub.example", first_name="Ben"))
    chat = open_chat(standard_user, surveys_area, "Can someone help with quotas?")
    _sign_in(agent_page, live_server, login, world.email)
    agent_page.goto(f"{live_server.url}/hub/agents/chats/")
    accept = agent_page.get_by_role("button", name=f"Accept {chat.ticket.number}")
    expect(accept).to_be_visible()
    chat_accept(session_id=chat.pk, agent=other)  # Ben was a moment quicker
    accept.click()
    expect(agent_page.locator("#console-problem")).to_contain_text(
        "Another agent has just taken this chat"
    )
    check(agent_page, "chat-08-console-taken")
    assert ChatSession.objects.get(pk=chat.pk).agent == other


def test_without_javascript_the_chat_still_works(
    browser: Browser,
    live_server: Any,
    login: Callable[..., None],
    world: User,
    standard_user: User,
    surveys_area: ProductArea,
) -> None:
    from tests.tickets.chat_world import open_chat

    chat = open_chat(standard_user, surveys_area, "No scripts here")
    context = browser.new_context(java_script_enabled=False, viewport=WIDE)
    page = context.new_page()
    try:
        login(page, live_server, standard_user.email, PASSWORD)
        page.goto(f"{live_server.url}/hub/chats/{chat.ticket.number}/")
        page.get_by_label("Your message").fill("Sent by a plain form")
        page.get_by_role("button", name="Send").click()
        expect(_log(page)).to_contain_text("Sent by a plain form")
        page.get_by_role("link", name="Refresh the conversation").click()
        expect(_log(page).locator(".chat-message")).to_have_count(2)
        page.get_by_role("button", name="End chat").click()
        expect(page.locator(".chat-status")).to_contain_text("The customer ended the chat")
    finally:
        context.close()


def test_a_sent_message_is_not_refilled_after_a_reload_and_a_repeat_is_asked_about(
    page: Page,
    live_server: Any,
    login: Callable[..., None],
    check: Callable[[Page, str], None],
    world: User,
    standard_user: User,
    surveys_area: ProductArea,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A slow, shared machine must not let "a moment ago" run out mid-test (the live server
    # runs in this process, so the window is patched for it too).
    monkeypatch.setattr(chat_services, "REPEAT_WINDOW", timedelta(minutes=10))
    chat = open_chat(standard_user, surveys_area, "Exports stopped working")
    _sign_in(page, live_server, login, standard_user.email)
    page.goto(f"{live_server.url}/hub/chats/{chat.ticket.number}/")
    _say(page, "It says error 500.")
    expect(_log(page)).to_contain_text("It says error 500.")
    box = page.get_by_label("Your message")
    expect(box).to_have_value("")

    # The draft kept for a reload is gone once its message is in the log.
    page.reload()
    page.wait_for_function("() => document.documentElement.classList.contains('chat-js')")
    expect(_log(page)).to_contain_text("It says error 500.")
    expect(box).to_have_value("")

    # An unsent draft still survives a reload.
    box.press_sequentially("Half a thought")
    page.reload()
    expect(box).to_have_value("Half a thought")

    # The same words again within seconds: asked first; Enter does not send them.
    box.fill("")
    _say(page, "It says error 500.")
    repeat = page.locator(".chat-composer__repeat")
    expect(repeat).to_contain_text("You sent this same message a moment ago. Send it again?")
    assert ChatMessage.objects.filter(session=chat, body="It says error 500.").count() == 1
    check(page, "chat-09-repeat-question")
    # Enter posts the form and is asked again. The click waits for that answer: a click on
    # the composer it replaces would be dropped with the old form.
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.get_by_label("Your message").press("Enter")
    expect(repeat).to_be_visible()
    assert ChatMessage.objects.filter(session=chat, body="It says error 500.").count() == 1
    page.get_by_role("button", name="Send it again").click()
    expect(_log(page).get_by_text("It says error 500.")).to_have_count(2)
    expect(page.get_by_label("Your message")).to_have_value("")
    assert ChatMessage.objects.filter(session=chat, body="It says error 500.").count() == 2
