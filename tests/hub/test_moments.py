"""The moments a process's kept writer writes read exactly as each written afresh, across
languages, real time zones and their clock changes."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hub.accounts import moments as moments_module
from hub.accounts.moments import moment_words, moment_writer

ZONES = ["Europe/Rome", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "UTC"]
PARTS = ["", "year short time", "weekday year time zone", "short time", "year"]
# Around the autumn clock change in Rome: the hour from 02:00 to 03:00 happens twice.
ROME_FOLD = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)

# Naive bounds, as hypothesis asks; the moments themselves are in UTC.
moments = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(moments, moments.map(lambda m: m.date()), st.none()), max_size=40),
    language=st.sampled_from([code for code, _ in settings.LANGUAGES]),
    zone=st.sampled_from(ZONES),
    parts=st.sampled_from(PARTS),
)
def test_the_kept_writer_writes_what_a_fresh_one_writes_for_each_moment_alone(
    values: list[datetime | date | None], language: str, zone: str, parts: str
) -> None:
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        written = moment_writer(parts)
        page = [written(value) for value in values]
        alone = []
        for value in values:
            moments_module._writer.cache_clear()
            alone.append(moment_writer(parts)(value))
    assert page == alone


def test_a_kept_writer_answers_only_for_its_own_zone_and_language() -> None:
    moment = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)
    written = {}
    for zone in ("Europe/Rome", "Asia/Tokyo"):
        for language in ("en", "de"):
            with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
                written[zone, language] = moment_words(moment, "weekday time")
    assert written == {
        ("Europe/Rome", "en"): "Thursday 3 December, 14:05",
        ("Europe/Rome", "de"): "Donnerstag, 3. Dezember, 14:05",
        ("Asia/Tokyo", "en"): "Thursday 3 December, 22:05",
        ("Asia/Tokyo", "de"): "Donnerstag, 3. Dezember, 22:05",
    }


def test_the_hour_that_happens_twice_keeps_its_own_zone_name() -> None:
    # 00:30 and 01:30 UTC are both 02:30 in Rome: summer time, then winter time. The zone's
    # name is what tells them apart.
    first, second = ROME_FOLD + timedelta(minutes=30), ROME_FOLD + timedelta(hours=1, minutes=30)
    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("Europe/Rome")):
        written = moment_writer("year short time zone")
        assert [written(first), written(second)] == [
            "25 Oct 2026, 02:30 CEST",
            "25 Oct 2026, 02:30 CET",
        ]
        assert moment_words(second, "year short time zone") == "25 Oct 2026, 02:30 CET"


def test_each_language_writes_its_own_words() -> None:
    moment = datetime(2026, 12, 3, 13, 5, tzinfo=UTC)
    expected = {
        "en": "Thursday, 3 December 2026, 14:05",
        "de": "Donnerstag, 3. Dezember 2026, 14:05",
        "ja": "2026年12月3日木曜日 14:05",
    }
    with timezone.override(zoneinfo.ZoneInfo("Europe/Rome")):
        for language, words in expected.items():
            with translation.override(language):
                assert moment_writer("weekday year time")(moment) == words
