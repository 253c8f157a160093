"""Dates and times as each interface language writes them, from CLDR's patterns (Babel).

A fixed Django format such as "l j F, H:i" suits English and Italian but not German
("Donnerstag, 3. Dezember"), Spanish ("jueves, 3 de diciembre") or Japanese ("12月3日木曜日").
The pages ask for the parts they show (weekday, year, short month, time, zone), and CLDR
decides the order, the words and the punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import match_skeleton, parse_pattern
from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.translation import get_language

# The CLDR locale each interface language is written in: British English (the hub's own
# spelling and day-month order) and European Portuguese (Django's "pt").
CLDR_LOCALES = {"en": "en_GB", "pt": "pt_PT"}
PARTS = frozenset({"weekday", "year", "short", "time", "zone"})


@lru_cache(maxsize=32)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(CLDR_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(CLDR_LOCALES[settings.LANGUAGE_CODE])


@lru_cache(maxsize=256)
def _pattern(language: str, parts: frozenset[str]) -> tuple[str, str]:
    """The CLDR date pattern for these parts, and how the locale joins a date and a time."""
    locale = _locale(language)
    month = "MMM" if "short" in parts else "MMMM"
    weekday = ("EEE" if "short" in parts else "EEEE") if "weekday" in parts else ""
    skeleton = ("y" if "year" in parts else "") + month + weekday + "d"
    pattern = locale.datetime_skeletons[match_skeleton(skeleton, locale.datetime_skeletons)]
    text = pattern.pattern
    # The nearest skeleton may write a field wider or narrower than asked: adjust it, as ICU
    # does.
    if weekday == "EEEE":
        text = re.sub(r"(?<!E)E{1,3}(?!E)", "EEEE", text)
    elif weekday == "EEE":
        text = re.sub(r"E{4,}", "EEE", text)
    if month == "MMMM":
        text = re.sub(r"(?<!M)MMM(?!M)", "MMMM", text)
    return text, str(locale.datetime_formats["medium"])


def moment_words(value: datetime | date | None, parts: str = "") -> str:
    """``value`` in the current language and time zone, with the parts named in ``parts``
    (space-separated: weekday, year, short, time, zone); day and month are always there."""
    return moment_writer(parts)(value)


def moment_writer(parts: str = "") -> Callable[[datetime | date | None], str]:
    """``moment_words`` for the current language and time zone. Each process keeps one
    writer per language, zone and parts, so the locale and patterns are looked up once, and
    each day's and each minute's words written once, however many pages and rows ask."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return _writer(language, timezone.get_current_timezone(), parts)


# Days kept per writer before it starts afresh: a process that runs for months meets many.
DAYS_KEPT = 4096


@lru_cache(maxsize=512)
def _writer(language: str, zone: tzinfo, parts: str) -> Callable[[datetime | date | None], str]:
    wanted = frozenset(parts.split())
    unknown = wanted - PARTS
    if unknown:
        raise ValueError(f"unknown parts of a moment: {sorted(unknown)}")
    locale = _locale(language)
    date_text, joined = _pattern(language, wanted)
    date_pattern = parse_pattern(date_text)
    time_pattern = parse_pattern(_time_pattern(language)) if "time" in wanted else None
    with_zone = "zone" in wanted
    # Threads share these: at worst two write the same words at once, and both keep them.
    days: dict[date, str] = {}
    clocks: dict[tuple[int, int], str] = {}

    def write(value: datetime | date | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value, zone)
        day = value.date() if isinstance(value, datetime) else value
        text = days.get(day)
        if text is None:
            if len(days) >= DAYS_KEPT:
                days.clear()
            text = days[day] = date_pattern.apply(value, locale)
        if not isinstance(value, datetime):
            return text
        if time_pattern is not None:
            minute = (value.hour, value.minute)
            clock = clocks.get(minute)
            if clock is None:
                clock = clocks[minute] = time_pattern.apply(value, locale)
            text = joined.replace("{1}", text).replace("{0}", clock)
        if with_zone:
            # The moment's own zone name: in the hour a clock change repeats, the name is
            # what tells the two apart (Django's "T" leaves it out there).
            name = value.tzname() if value.tzinfo is not None else None
            text = f"{text} {name or dateformat.format(value, 'T')}"
        return text

    return write


@lru_cache(maxsize=32)
def _time_pattern(language: str) -> str:
    locale = _locale(language)
    return str(locale.datetime_skeletons[match_skeleton("Hm", locale.datetime_skeletons)].pattern)
