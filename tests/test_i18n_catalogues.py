"""R-I18N: complete catalogues for every shipped language, compiled and committed."""

from __future__ import annotations

import gettext
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.smoke
@pytest.mark.parametrize("language", SHIPPED)
def test_every_entry_is_translated_and_none_is_fuzzy(language: str) -> None:
    po = catalogue(language)
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not untranslated, f"{language}: untranslated {untranslated[:10]}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy[:10]}"


@pytest.mark.parametrize("language", SHIPPED)
def test_the_committed_mo_file_matches_its_catalogue(language: str) -> None:
    """The compiled file is committed (no gettext needed on a fresh machine); keep it current."""
    po = catalogue(language)
    mo_path = LOCALE / language / "LC_MESSAGES" / "django.mo"
    with mo_path.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        assert compiled._catalog.get(key) == entry.msgstr, (  # type: ignore[attr-defined]
            f"{language}: {entry.msgid!r} is stale in django.mo: run make messages"
        )


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_every_placeholder(language: str) -> None:
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for entry in catalogue(language).translated_entries():
        if entry.msgid_plural:
            continue
        assert sorted(placeholder.findall(entry.msgid)) == sorted(
            placeholder.findall(entry.msgstr)
        ), f"{language}: {entry.msgid!r}"
