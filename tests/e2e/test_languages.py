"""The main path in every interface language, in a real browser: the language chosen on the
sign-in page, then team → area → assistant → phone callback → confirmation → ticket page,
with no English left on any page (the page's text read against the English catalogue), axe
clean, screenshots at 1280 and 320 px (artifacts/languages-<code>-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from chatbot import retrieval
from chatbot.services import knowledge_load, synonyms_ensure_defaults
from hub.accounts.models import User
from routing.models import LanguageWindow, ProductArea, ServiceWindow
from routing.services import service_hours_ensure_defaults
from tests.chatbot.conftest import FIXTURE_ROOT
from tests.conftest import PASSWORD
from tests.hub.contact_world import agent_add, every_day
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.e2e

LANGUAGES = [code for code, _name in settings.LANGUAGES]
LOCALE = Path(settings.BASE_DIR) / "locale"
PLACEHOLDER_OR_TAG = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>")
# What a customer would type, in their own language (typed text is theirs, not the hub's).
SUBJECTS = {
    "en": "The survey link shows an error",
    "it": "Il link del sondaggio mostra un errore",
    "fr": "Le lien de l'enquête affiche une erreur",
    "de": "Der Umfragelink zeigt einen Fehler",
    "es": "El enlace de la encuesta muestra un error",
    "pt": "A ligação do inquérito mostra um erro",
    "nl": "De enquêtelink geeft een foutmelding",
    "ja": "アンケートのリンクでエラーが表示されます",
}


@cache
def english_phrases(language: str) -> frozenset[str]:
    """Runs of three or more English words from the hub's own messages that this language's
    catalogue writes differently: any of them on the page is English left untranslated."""
    phrases: set[str] = set()
    if language == settings.LANGUAGE_CODE:
        return frozenset(phrases)
    for entry in polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po")):
        translated = " ".join([entry.msgstr, *entry.msgstr_plural.values()])
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            for part in PLACEHOLDER_OR_TAG.split(source):
                part = " ".join(part.split()).strip(" .,:;!?()")
                if len(part.split()) >= 3 and part not in translated:
                    phrases.add(part)
    return frozenset(phrases)


def assert_no_english(page: Page, language: str, where: str) -> None:
    """The page's visible text, without what is marked as another language (a quote in
    English, the language switcher's own names), holds none of the English phrases."""
    text = page.evaluate(
        """(language) => {
            const body = document.body.cloneNode(true);
            body.querySelectorAll("[lang]").forEach((element) => {
                if (!element.lang.startsWith(language)) element.remove();
            });
            body.querySelectorAll("script, style, template").forEach((e) => e.remove());
            return body.innerText;
        }""",
        language,
    )
    text = " ".join(text.split())
    left = sorted(phrase for phrase in english_phrases(language) if phrase in text)
    assert not left, f"English left on {where}: {left[:10]}"


@pytest.fixture
def every_language_staffed(product_areas: list[ProductArea]) -> Iterator[None]:
    """Phone and email open round the clock in all eight languages, with one agent who
    speaks them all, and the tests' small knowledge base indexed."""
    service_hours_ensure_defaults()
    ServiceWindow.objects.filter(channel__in=["email", "phone"]).delete()
    for channel in ("email", "phone"):
        for team in ("general", "enterprise"):
            every_day(ServiceWindow, channel=channel, team=team)
    LanguageWindow.objects.all().delete()
    for code in LANGUAGES:
        if code != "en":
            every_day(LanguageWindow, language=code)
    agent_add("polyglot@hub.example", team="general", languages=LANGUAGES)
    synonyms_ensure_defaults()
    knowledge_load(root=FIXTURE_ROOT)
    retrieval.forget_snapshot()
    yield
    retrieval.forget_snapshot()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_path_in_every_language(
    page: Page,
    live_server: Any,
    check: Callable[[Page, str], None],
    every_language_staffed: None,
    standard_user: User,
    language: str,
) -> None:
    def look(name: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_no_english(page, language, name)
        check(page, f"languages-{language}-{name}")

    # The language is chosen before signing in, from the footer of the sign-in page.
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#language-select").select_option(language)
    page.locator(".language-switcher button").click()
    look("01-sign-in")
    page.locator("input[name=login]").fill(standard_user.email)
    page.locator("main form button[type=submit]").click()
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/hub/$"))
    look("02-team")

    page.locator("input[value=technical]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/hub/technical/$"))
    look("03-redirect-question")
    page.locator("main a.button").click()
    expect(page).to_have_url(re.compile(r"/hub/technical/areas/$"))
    look("04-areas")

    page.locator("a[href$='/surveys-xm-directory/']").first.click()
    box = page.locator("main textarea[name=question], main input[name=question]").first
    box.fill("how do I nudge people who never finished?")
    box.press("Enter")
    expect(page.locator("#turn-1")).to_be_visible()
    look("05-assistant")

    page.locator("main .flow__aside a").click()
    expect(page).to_have_url(re.compile(r"/surveys-xm-directory/contact/(\?conversation=[\w-]+)?$"))
    look("06-methods")
    page.locator("main a[href*='/contact/phone/']").first.click()
    staffed = language if language in dict(settings.SUPPORT_LANGUAGES) else "en"
    expect(page.locator("#id_language")).to_have_value(staffed)
    look("07-phone-form")

    page.locator("select[name=country]").select_option("GB")
    page.locator("input[name=number]").fill("020 7946 0123")
    page.locator("input[name=subject]").fill(SUBJECTS[language])
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/hub/requests/CS-\d+/$"))
    look("08-confirmation")

    ticket = Ticket.objects.get(requester=standard_user, channel=Channel.PHONE)
    assert ticket.language == staffed
    standard_user.refresh_from_db()
    assert standard_user.preferred_language == language
    page.goto(f"{live_server.url}/hub/tickets/{ticket.number}/")
    expect(page.get_by_text(ticket.number).first).to_be_visible()
    expect(page.get_by_text("+44 20 7946 0123").first).to_be_visible()
    look("09-ticket")
