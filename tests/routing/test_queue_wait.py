"""The queue board quotes the wait the contact offers quote, for the same queue and moment."""

from __future__ import annotations

from datetime import datetime

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
