"""The support languages (R-LANG-HOURS), as codes and as words inside a sentence."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language

# Interface languages that write language names in lower case inside a sentence
# ("assistenza in italiano", "aide en français"); English and German capitalise them.
LOWER_CASE_LANGUAGE_NAMES = frozenset({"it", "fr", "es", "pt"})


def support_language_codes() -> list[str]:
    return [code for code, _label in settings.SUPPORT_LANGUAGES]


def language_name(code: str) -> str:
    """The support language's name in the interface language, as used inside a sentence."""
    name = str(dict(settings.SUPPORT_LANGUAGES).get(code, code))
    if (get_language() or "").split("-")[0] in LOWER_CASE_LANGUAGE_NAMES:
        return name[:1].lower() + name[1:]
    return name
