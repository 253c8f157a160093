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


# What makemessages reads (its default extensions) and the catalogues; nothing else is copied.
SOURCE_SUFFIXES = frozenset({".py", ".html", ".txt", ".po"})
NOT_SOURCE = frozenset({".venv", "var", ".git", "node_modules", "artifacts", "__pycache__"})


def _source_only(directory: str, names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if name in NOT_SOURCE
        or (not (Path(directory) / name).is_dir() and Path(name).suffix not in SOURCE_SUFFIXES)
    }


def test_every_source_string_is_in_every_catalogue(
    tmp_path: Path, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extract the strings of the code and templates as `make messages` does (xgettext), into
    a copy of the catalogues: a string added to the source without its translations shows up
    there untranslated (or as a fuzzy guess).

    makemessages writes into the ``locale`` folder beside the files it reads (the working
    directory's), whatever LOCALE_PATHS says; so it runs in a copy of the sources, and the
    committed catalogues are neither read for the check nor rewritten by it."""
    import shutil

    from django.core.management import call_command

    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is needed to extract the strings (apt-get install gettext)")
    source = tmp_path / "source"
    shutil.copytree(settings.BASE_DIR, source, ignore=_source_only)  # type: ignore[attr-defined]
    copy = source / "locale"
    created = {
        language: polib.pofile(str(copy / language / "LC_MESSAGES" / "django.po")).metadata[
            "POT-Creation-Date"
        ]
        for language in SHIPPED
    }
    settings.LOCALE_PATHS = [str(copy)]  # type: ignore[attr-defined]
    monkeypatch.chdir(source)
    call_command(
        "makemessages",
        all=True,
        ignore_patterns=[".venv/*", "var/*"],  # as `make messages`
        no_obsolete=True,
        no_location=True,
        verbosity=0,
    )
    for language in SHIPPED:
        extracted = polib.pofile(str(copy / language / "LC_MESSAGES" / "django.po"))
        # The copy was rewritten from the sources: it dates from now, not from the commit.
        assert extracted.metadata["POT-Creation-Date"] != created[language], "nothing extracted"
        missing = [entry.msgid for entry in extracted.untranslated_entries()]
        guessed = [entry.msgid for entry in extracted.fuzzy_entries()]
        assert not missing, f"{language}: not in the catalogue: {missing[:10]}"
        assert not guessed, f"{language}: not in the catalogue: {guessed[:10]}"
