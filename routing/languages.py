"""The support languages (R-LANG-HOURS), as codes and as words, named from CLDR's data."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language


def support_language_codes() -> list[str]:
    return [code for code, _label in settings.SUPPORT_LANGUAGES]


def reading_language() -> str:
    """The support language of the pages being read now: the interface language, which is
    the customer's own choice (English where we give no support in it)."""
    current = _interface_language()
    return current if current in support_language_codes() else "en"


def _interface_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


@lru_cache(maxsize=256)
def _cldr_language_name(code: str, interface: str) -> str | None:
    try:
        name = Locale.parse(interface).languages.get(code)
    except (UnknownLocaleError, ValueError):
        return None
    return str(name) if name else None


def language_name(code: str) -> str:
    """The language's name in the interface language, as written inside a sentence: CLDR
    knows that Italian and French write "italiano", "français" where English writes
    "Italian"."""
    name = _cldr_language_name(code, _interface_language())
    return name or str(dict(settings.SUPPORT_LANGUAGES).get(code, code))


def language_label(code: str) -> str:
    """The language's name at the start of a line: a list entry, a table heading."""
    return str(capfirst(language_name(code)))


def support_language_choices() -> list[tuple[str, str]]:
    """The support languages for a drop-down, named in the interface language."""
    return [(code, language_label(code)) for code in support_language_codes()]
