"""Browser harness: Debian's Chromium driven by Playwright, against pytest-django's live server.

Never downloads a browser. Screenshots go to artifacts/ (git-ignored). A page that breaks the
Content Security Policy, or on which htmx reports an error, fails its test.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    sync_playwright,
)

CHROMIUM = os.environ.get("HUB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SCREENSHOT_TIMEOUT_MS = 30_000

pytestmark = pytest.mark.e2e

NARROW: ViewportSize = {"width": 320, "height": 800}
WIDE: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
    # make around it are still synchronous and safe. (Browser tests run last: see conftest.)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
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


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Every browser test signs in from 127.0.0.1: start each with empty rate-limit counters."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def csp_violations() -> list[str]:
    return []


@pytest.fixture
def htmx_errors() -> list[str]:
    return []


@pytest.fixture
def open_page(
    browser: Browser, csp_violations: list[str], htmx_errors: list[str]
) -> Iterator[Callable[..., Page]]:
    """Opens a page in a browser context of its own (one person at one computer), watching
    its console. After the test, a page that broke the Content Security Policy, or on which
    htmx reported an error, fails it."""
    contexts: list[BrowserContext] = []

    def watch(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            csp_violations.append(text)
        # htmx tells of what it could not do (a swap without its target, a trigger the
        # configuration refuses) on the console only: the page looks right and is not.
        if message.type == "error" and text.startswith("htmx:"):
            htmx_errors.append(text)

    def open_one(**options: Any) -> Page:
        context = browser.new_context(**{"viewport": WIDE, "locale": "en-GB", **options})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", watch)
        return page

    yield open_one
    for context in contexts:
        context.close()
    assert not csp_violations, f"The page broke the Content Security Policy: {csp_violations}"
    assert not htmx_errors, f"htmx reported errors: {htmx_errors}"


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    return open_page()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        # A whole long page on a busy two-core machine has taken Chromium over ten seconds
        # to capture; the picture is for people to look at, not part of what is asserted.
        page.screenshot(path=str(path), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
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


# --- Accessibility: axe-core from npm, run inside the page ------------------------------------

E2E_DIR = Path(__file__).resolve().parent
AXE_SCRIPT = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
# Moderate findings too: "region" (content outside every landmark) is moderate, and a page
# that passes only serious and critical rules can still lose a screen-reader user.
AXE_BLOCKING_IMPACTS = frozenset({"moderate", "serious", "critical"})


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's browser build, installed from tests/e2e/package-lock.json when missing."""
    if not AXE_SCRIPT.exists():
        subprocess.run(["npm", "ci", "--prefix", str(E2E_DIR)], check=True, timeout=300)
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source: str) -> Callable[[Page], list[dict[str, Any]]]:
    """Run axe on the page as it is now; return its violations (WCAG 2.x A and AA, and best
    practice).

    The pages' policy allows scripts from 'self' only, so ``add_script_tag`` (an inline
    script) would be refused; ``page.evaluate`` runs through the DevTools protocol, outside
    the page's Content Security Policy, and so injects axe without weakening it.
    """

    def run(page: Page) -> list[dict[str, Any]]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source)
        violations: list[dict[str, Any]] = page.evaluate(
            """async () => {
                const result = await window.axe.run(document, {
                    runOnly: {type: "tag", values: [
                        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"
                    ]},
                    resultTypes: ["violations"],
                });
                return result.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
                }));
            }"""
        )
        return violations

    return run


def assert_no_axe_violations(violations: list[dict[str, Any]], where: str = "") -> None:
    """Fail on any moderate, serious or critical axe violation, naming the rule and the
    elements (only "minor" findings pass)."""
    blocking = [v for v in violations if v.get("impact") in AXE_BLOCKING_IMPACTS]
    assert not blocking, f"axe found problems{' on ' + where if where else ''}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}" for v in blocking
    )


# --- Looking at each page ------------------------------------------------------------------


@pytest.fixture
def check(
    axe: Callable[[Page], list[dict[str, Any]]], screenshot: Callable[[Page, str], Path]
) -> Callable[[Page, str], None]:
    """axe on the page, then screenshots at 1280 and 320 px; no sideways scrolling at 320."""

    def look(page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        assert_no_axe_violations(axe(page), name)
        screenshot(page, name)
        page.set_viewport_size(NARROW)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        wide = page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth + 1;
                return [...document.querySelectorAll("body *")]
                    .filter((e) => e.getBoundingClientRect().right > width)
                    .map((e) => e.tagName + "." + e.className).slice(0, 8);
            }"""
        )
        screenshot(page, f"{name}-320")
        assert overflow <= 0, f"{name} scrolls sideways at 320 px by {overflow} px: {wide}"
        assert_no_axe_violations(axe(page), f"{name} at 320 px")
        page.set_viewport_size(WIDE)

    return look
