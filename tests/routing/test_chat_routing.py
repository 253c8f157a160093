"""Chat availability (R-METHODS, issue 9): the rules as tables and properties on plain data,
then the same rules read from the database (presence, heartbeat, the chat limit)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.accounts.models import User
from routing.hours import ALL_WEEK
from routing.models import ProductArea
from routing.policy import (
    LicenceTier,
    OfferStatus,
    OrganisationFacts,
    QueueKey,
    QueueState,
    Reason,
    Staffing,
    Team,
    UserFacts,
    chat_wait,
    contact_offers,
    default_service_hours,
)
from routing.selectors import chat_wait_estimate
from tests.routing.helpers import ACCESSIBILITY, AREAS, BERLIN, DENVER, LANGUAGES, SURVEYS, at
from tests.routing.measured import offers_for
from tests.tickets.chat_world import chat_agent, free, open_chat
from tickets.chat.services import chat_accept, chat_presence_set
from tickets.models import ChatPresence
from tickets.queues import chat_facts

HOURS = default_service_hours()
TUESDAY_MORNING = at(DENVER, 2026, 7, 14, 10)
SATURDAY = at(DENVER, 2026, 7, 18, 10)
TUESDAY_IN_MADRID = at(BERLIN, 2026, 7, 14, 11)
STANDARD = (OrganisationFacts(LicenceTier.STANDARD), UserFacts())


def _chat_staffing(*, slots: int, free_slots: int, waiting: int = 0) -> Staffing:
    queues = {
        QueueKey(language, area.slug, team): QueueState(
            agent_shifts=(ALL_WEEK,),
            waiting=waiting,
            arrivals_per_hour=6,
            handle_seconds=600,
            chat_slots=slots,
            chat_free_slots=free_slots,
        )
        for language in LANGUAGES
        for area in AREAS
        for team in (Team.GENERAL, Team.ENTERPRISE)
    }
    return Staffing(phone=queues, chat=queues)


def _chat(now: datetime, *, language: str = "en", area=SURVEYS, staffing: Staffing):  # type: ignore[no-untyped-def]
    return contact_offers(*STANDARD, area, language, now=now, hours=HOURS, staffing=staffing).chat


# (moment, language, area, slots, free slots, waiting) → (status, reason)
TABLE = [
    (TUESDAY_MORNING, "en", SURVEYS, 3, 3, 0, OfferStatus.AVAILABLE, Reason.OPEN),
    (TUESDAY_MORNING, "en", ACCESSIBILITY, 3, 1, 0, OfferStatus.AVAILABLE, Reason.OPEN),
    # Nobody in the console, or everyone there at their limit: temporarily unavailable.
    (TUESDAY_MORNING, "en", SURVEYS, 0, 0, 0, OfferStatus.NOT_NOW, Reason.NO_AGENT_FREE),
    (TUESDAY_MORNING, "en", SURVEYS, 6, 0, 0, OfferStatus.NOT_NOW, Reason.NO_AGENT_FREE),
    # A free agent but a long queue: temporarily unavailable too.
    (TUESDAY_MORNING, "en", SURVEYS, 3, 1, 8, OfferStatus.NOT_NOW, Reason.QUEUE_TOO_LONG),
    # No chat on Saturday, whoever is in the console.
    (SATURDAY, "en", SURVEYS, 3, 3, 0, OfferStatus.NOT_NOW, Reason.OUTSIDE_HOURS),
    # Spanish only for the survey platform, and only inside the Spanish hours.
    (TUESDAY_IN_MADRID, "es", SURVEYS, 3, 3, 0, OfferStatus.AVAILABLE, Reason.OPEN),
    (
        TUESDAY_IN_MADRID,
        "es",
        ACCESSIBILITY,
        3,
        3,
        0,
        OfferStatus.NOT_NOW,
        Reason.LANGUAGE_NOT_OFFERED,
    ),
    (
        at(BERLIN, 2026, 7, 14, 23, 30),
        "es",
        SURVEYS,
        3,
        3,
        0,
        OfferStatus.NOT_NOW,
        Reason.OUTSIDE_LANGUAGE_HOURS,
    ),
    (TUESDAY_MORNING, "it", SURVEYS, 3, 3, 0, OfferStatus.NOT_NOW, Reason.LANGUAGE_NOT_OFFERED),
]


@pytest.mark.parametrize(
    ("now", "language", "area", "slots", "free_slots", "waiting", "status", "reason"), TABLE
)
def test_chat_availability_table(  # type: ignore[no-untyped-def]
    now, language, area, slots, free_slots, waiting, status, reason
) -> None:
    offer = _chat(
        now,
        language=language,
        area=area,
        staffing=_chat_staffing(slots=slots, free_slots=free_slots, waiting=waiting),
    )
    assert (offer.status, offer.reason) == (status, reason)
    if reason == Reason.NO_AGENT_FREE:
        assert offer.next_opening is None and not offer.accepts_requests


def test_a_free_agent_in_the_console_counts_even_off_their_shift() -> None:
    queues = {
        QueueKey("en", SURVEYS.slug, Team.GENERAL): QueueState(
            agent_shifts=(), chat_slots=3, chat_free_slots=3
        )
    }
    offer = _chat(TUESDAY_MORNING, staffing=Staffing(chat=queues))
    assert offer.is_available


@given(
    slots=st.integers(0, 30),
    taken=st.integers(0, 30),
    waiting=st.integers(0, 40),
    hour=st.integers(0, 23),
)
def test_chat_is_never_offered_without_a_free_slot_nor_beyond_the_wait_limit(
    slots: int, taken: int, waiting: int, hour: int
) -> None:
    free_slots = max(0, slots - taken)
    now = at(DENVER, 2026, 7, 14, hour)
    offer = _chat(now, staffing=_chat_staffing(slots=slots, free_slots=free_slots, waiting=waiting))
    if offer.is_available:
        assert free_slots > 0
        assert offer.wait is not None and offer.wait.expected_seconds <= 10 * 60
    elif free_slots == 0 and offer.reason not in (Reason.OUTSIDE_HOURS,):
        assert offer.reason == Reason.NO_AGENT_FREE


@given(position=st.integers(1, 50), slots=st.integers(1, 30), free_slots=st.integers(0, 30))
def test_a_chat_waits_only_once_the_free_slots_are_gone_and_longer_further_back(
    position: int, slots: int, free_slots: int
) -> None:
    wait = chat_wait(position=position, slots=slots, free_slots=free_slots, handle_seconds=600)
    behind = chat_wait(
        position=position + 1, slots=slots, free_slots=free_slots, handle_seconds=600
    )
    assert wait is not None and behind is not None
    if position <= free_slots:
        assert wait.expected_seconds == 0
    else:
        assert wait.expected_seconds > 0
    assert behind.expected_seconds >= wait.expected_seconds


def test_nobody_in_the_console_gives_no_wait_to_estimate() -> None:
    assert chat_wait(position=1, slots=0, free_slots=0, handle_seconds=600) is None


# --- From the database: presence, heartbeat and the limit ------------------------------------


@pytest.fixture
def area(product_areas: list[ProductArea]) -> ProductArea:
    return ProductArea.objects.get(slug="surveys-xm-directory")


@pytest.fixture
def chat_hours(product_areas: list[ProductArea]) -> None:
    from routing.services import service_hours_ensure_defaults

    service_hours_ensure_defaults()  # the spec's: weekdays, Spanish in its hours


@pytest.mark.django_db
def test_chat_follows_who_is_free_in_the_console(
    standard_user: User, area: ProductArea, chat_hours: None, settings: object
) -> None:
    ana = chat_agent("ana@hub.example")

    def offer(now: datetime = TUESDAY_MORNING):  # type: ignore[no-untyped-def]
        return offers_for(standard_user, area=area, language="en", now=now).chat

    assert offer().reason == Reason.NO_AGENT_FREE  # on shift, but not in the console
    chat_presence_set(agent=ana, available=True, now=TUESDAY_MORNING)
    assert offer().is_available
    # The console closed: after a minute without a heartbeat she no longer counts.
    assert offer(TUESDAY_MORNING + timedelta(seconds=59)).is_available
    assert offer(TUESDAY_MORNING + timedelta(seconds=61)).reason == Reason.NO_AGENT_FREE
    chat_presence_set(agent=ana, available=False, now=TUESDAY_MORNING)
    assert offer().reason == Reason.NO_AGENT_FREE
    # No chat on Saturday, even with someone in the console.
    chat_presence_set(agent=ana, available=True, now=SATURDAY)
    assert offer(SATURDAY).reason == Reason.OUTSIDE_HOURS


@pytest.mark.django_db
def test_an_agent_at_the_chat_limit_is_not_free(
    standard_user: User, area: ProductArea, chat_hours: None, settings: object
) -> None:
    from django.utils import timezone

    settings.CHAT_AGENT_MAX_CHATS = 2  # type: ignore[attr-defined]
    ana = free(chat_agent("ana@hub.example"))
    now = timezone.now()
    chats = [open_chat(standard_user, area, f"Chat {n}") for n in range(2)]
    for chat in chats:
        chat_accept(session_id=chat.pk, agent=ana)
    ChatPresence.objects.filter(agent=ana).update(seen_at=TUESDAY_MORNING)
    offer = offers_for(standard_user, area=area, language="en", now=TUESDAY_MORNING).chat
    assert offer.reason == Reason.NO_AGENT_FREE
    assert now  # the chats were accepted now; the offer is asked for at TUESDAY_MORNING


@pytest.mark.django_db
def test_spanish_chat_needs_a_free_spanish_agent_for_the_survey_platform(
    standard_user: User, area: ProductArea, chat_hours: None
) -> None:
    english = free(chat_agent("ana@hub.example"), now=TUESDAY_IN_MADRID)
    assert english
    offer = offers_for(standard_user, area=area, language="es", now=TUESDAY_IN_MADRID)
    assert offer.chat.reason == Reason.NO_AGENT_FREE
    assert offer.chat.english_now  # English is free: the card offers it
    free(chat_agent("lucia@hub.example", languages=["es", "en"]), now=TUESDAY_IN_MADRID)
    offer = offers_for(standard_user, area=area, language="es", now=TUESDAY_IN_MADRID)
    assert offer.chat.is_available
    other = ProductArea.objects.get(slug="cx-dashboards")
    elsewhere = offers_for(standard_user, area=other, language="es", now=TUESDAY_IN_MADRID)
    assert elsewhere.chat.reason == Reason.LANGUAGE_NOT_OFFERED


@pytest.mark.django_db
def test_the_waiting_estimate_counts_the_free_slots_first(
    standard_user: User, area: ProductArea, chat_hours: None
) -> None:
    from django.utils import timezone

    now = timezone.now()
    assert (
        chat_wait_estimate(
            language="en", area_id=area.pk, team="general", position=1, queues=chat_facts(now)
        )
        is None
    )
    free(chat_agent("ana@hub.example"), now=now)
    first = chat_wait_estimate(
        language="en", area_id=area.pk, team="general", position=1, queues=chat_facts(now)
    )
    fourth = chat_wait_estimate(
        language="en", area_id=area.pk, team="general", position=4, queues=chat_facts(now)
    )
    assert first is not None and first.expected_seconds == 0
    assert fourth is not None and fourth.expected_seconds > 0
