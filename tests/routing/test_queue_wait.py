"""The queue board quotes the wait the contact offers quote, for the same queue and moment."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from routing.policy import (
    AreaFacts,
    LicenceTier,
    Method,
    OrganisationFacts,
    UserFacts,
    default_service_hours,
    method_offer,
    queue_wait_now,
)
from routing.waits import duration_words
from tests.routing.helpers import AREAS, DENVER, LANGUAGES, roster_staffing

HOURS = default_service_hours()
ROSTER = roster_staffing(waiting=2, arrivals_per_hour=10)
STANDARD = OrganisationFacts(licence=LicenceTier.STANDARD)
MEMBER = UserFacts()


@given(
    method=st.sampled_from([Method.PHONE, Method.CHAT]),
    area=st.sampled_from([area for area in AREAS if not area.redirects_to_discover]),
    language=st.sampled_from(LANGUAGES),
    now=st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(DENVER),
    ),
)
def test_the_board_quotes_what_a_standard_customer_is_quoted_for_the_general_queue(
    method: Method, area: AreaFacts, language: str, now: datetime
) -> None:
    offer = method_offer(
        method, STANDARD, MEMBER, area, language, now=now, hours=HOURS, staffing=ROSTER
    )
    if offer.queue is None or offer.queue.language != language or not offer.is_available:
        return
    board = queue_wait_now(method, offer.queue, area, now=now, hours=HOURS, staffing=ROSTER)
    assert board == offer.wait


@pytest.mark.parametrize(
    ("language", "minutes", "words"),
    [
        ("en", 0, "1 minute"),  # never "0 minutes"
        ("en", 60, "1 hour"),
        ("en", 65, "1 hour 5 minutes"),
        ("de", 125, "2 Stunden 5 Minuten"),
        ("fr", 61, "1 heure 1 minute"),
        ("ja", 65, "1時間5分"),
        ("ja", 120, "2時間"),
    ],
)
def test_a_duration_is_written_as_its_language_writes_one(
    language: str, minutes: int, words: str
) -> None:
    with translation.override(language):
        assert duration_words(timedelta(minutes=minutes)) == words
