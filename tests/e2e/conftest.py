"""Browser harness: Debian's Chromium driven by Playwright, against pytest-django's live server.

Never downloads a browser. Screenshots go to artifacts/ (git-ignored). A page that breaks the
Content Security Policy fails its test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--disable-background-networking",
                "--disable-component-update",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, csp_violations: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)

    def watch(message: object) -> None:
        text = getattr(message, "text", "")
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            csp_violations.append(text)

    page.on("console", watch)
    yield page
    context.close()
    assert not csp_violations, f"The page broke the Content Security Policy: {csp_violations}"


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(transactional_db: None) -> Callable[..., None]:
    def sign_in(page: Page, live_server: object, email: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")  # type: ignore[attr-defined]
        page.locator("input[name=login]").fill(email)
        page.get_by_role("button", name="Continue").click()
        page.locator("input[name=password]").fill(password)
        page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        page.wait_for_load_state("networkidle")

    return sign_in
