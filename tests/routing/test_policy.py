"""The routing rules, as tables (every licence × role × environment) and as properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing import erlang
from routing.hours import ALL_WEEK, DEFAULT_LANGUAGE_HOURS, Schedule, is_open, weekdays
from routing.policy import (
    FULL_ACCOUNT_TOPICS,
    SELF_SERVICE_ACCOUNT_TOPICS,
    AccountTopic,
    AreaFacts,
    ContactOffers,
    Environment,
    LicenceTier,
    Method,
    MethodOffer,
    OfferStatus,
    OrganisationFacts,
    QueueKey,
    QueueState,
    Reason,
    RedirectQuestion,
    Role,
    ServiceHours,
    Staffing,
    Team,
    Thresholds,
    UserFacts,
    account_services_access,
    assistant_on_knowledge_base,
    contact_offers,
    default_service_hours,
    method_offer,
    redirect_question,
    shows_assistant,
)
from tests.routing.helpers import (
    ACCESSIBILITY,
    AREAS,
    BERLIN,
    BX_DASHBOARDS,
    DENVER,
    DISCOVER,
    LANGUAGES,
    ROME,
    SURVEYS,
    TOKYO,
    at,
    roster_staffing,
    staffed,
)

HOURS = default_service_hours()
DEFAULT_THRESHOLDS = Thresholds()
EVERYONE = staffed()
# A Tuesday morning in Denver: every English channel is open (Europe is in its evening).
TUESDAY_MORNING = at(DENVER, 2026, 7, 14, 10)
SATURDAY = at(DENVER, 2026, 7, 18, 10)

ROLE_SETS = [
    frozenset(roles)
    for roles in (
        (),
        (Role.BRAND_ADMIN,),
        (Role.BILLING_CONTACT,),
        (Role.PRIMARY_CONTACT,),
        (Role.BRAND_ADMIN, Role.BILLING_CONTACT),
        (Role.BRAND_ADMIN, Role.PRIMARY_CONTACT),
        (Role.BILLING_CONTACT, Role.PRIMARY_CONTACT),
        (Role.BRAND_ADMIN, Role.BILLING_CONTACT, Role.PRIMARY_CONTACT),
    )
]


def offers_for(
    licence: LicenceTier,
    *,
    seat: bool = False,
    environment: Environment = Environment.COMMERCIAL,
    roles: frozenset[Role] = frozenset(),
    area: AreaFacts = SURVEYS,
    language: str = "en",
    now: datetime = TUESDAY_MORNING,
    hours: ServiceHours = HOURS,
    staffing: Staffing = EVERYONE,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> ContactOffers:
    packages = (
        1 if licence == LicenceTier.ENTERPRISE and environment == Environment.COMMERCIAL else 0
    )
    return contact_offers(
        OrganisationFacts(licence, environment, packages),
        UserFacts(roles=roles, has_seat=seat),
        area,
        language,
        now=now,
        hours=hours,
        staffing=staffing,
        thresholds=thresholds,
    )


# --- R-METHODS: every licence × seat × environment × role --------------------------------------


class Expect(NamedTuple):
    status: OfferStatus
    reason: Reason
    team: Team | None = None
    label: bool = False
    upgrade: bool = False


OPEN_GENERAL = Expect(OfferStatus.AVAILABLE, Reason.OPEN, Team.GENERAL)
OPEN_ENTERPRISE = Expect(OfferStatus.AVAILABLE, Reason.OPEN, Team.ENTERPRISE, label=True)
NOT_IN_LICENCE = Expect(OfferStatus.NOT_IN_LICENCE, Reason.NOT_IN_LICENCE, upgrade=True)
NEEDS_PACKAGE = Expect(OfferStatus.NOT_IN_LICENCE, Reason.NEEDS_SUCCESS_PACKAGE, upgrade=True)
NOT_FOR_FEDRAMP = Expect(OfferStatus.NOT_IN_LICENCE, Reason.NOT_IN_ENVIRONMENT)

STANDARD_ROW = (OPEN_GENERAL, OPEN_GENERAL, OPEN_GENERAL, NEEDS_PACKAGE)
# (licence, seat, environment) → (chat, email, phone, conference), for Surveys & XM Directory.
METHOD_TABLE = {
    (LicenceTier.SELF_SERVICE, False, Environment.COMMERCIAL): (
        NOT_IN_LICENCE,
        OPEN_GENERAL,
        NOT_IN_LICENCE,
        NEEDS_PACKAGE,
    ),
    (LicenceTier.STANDARD, False, Environment.COMMERCIAL): STANDARD_ROW,
    (LicenceTier.ENTERPRISE, False, Environment.COMMERCIAL): STANDARD_ROW,
    (LicenceTier.ENTERPRISE, True, Environment.COMMERCIAL): (
        OPEN_GENERAL,
        OPEN_ENTERPRISE,
        OPEN_ENTERPRISE,
        OPEN_ENTERPRISE,
    ),
    # A seat only counts with an Enterprise licence (R-SEATS).
    (LicenceTier.SELF_SERVICE, True, Environment.COMMERCIAL): (
        NOT_IN_LICENCE,
        OPEN_GENERAL,
        NOT_IN_LICENCE,
        NEEDS_PACKAGE,
    ),
    (LicenceTier.STANDARD, True, Environment.COMMERCIAL): STANDARD_ROW,
    # FedRAMP narrows the licence's row: no chat, no conference, general support only.
    (LicenceTier.SELF_SERVICE, False, Environment.FEDRAMP): (
        NOT_FOR_FEDRAMP,
        OPEN_GENERAL,
        NOT_IN_LICENCE,
        NOT_FOR_FEDRAMP,
    ),
    (LicenceTier.SELF_SERVICE, True, Environment.FEDRAMP): (
        NOT_FOR_FEDRAMP,
        OPEN_GENERAL,
        NOT_IN_LICENCE,
        NOT_FOR_FEDRAMP,
    ),
    (LicenceTier.STANDARD, False, Environment.FEDRAMP): (
        NOT_FOR_FEDRAMP,
        OPEN_GENERAL,
        OPEN_GENERAL,
        NOT_FOR_FEDRAMP,
    ),
    (LicenceTier.STANDARD, True, Environment.FEDRAMP): (
        NOT_FOR_FEDRAMP,
        OPEN_GENERAL,
        OPEN_GENERAL,
        NOT_FOR_FEDRAMP,
    ),
    (LicenceTier.ENTERPRISE, False, Environment.FEDRAMP): (
        NOT_FOR_FEDRAMP,
        OPEN_GENERAL,
        OPEN_GENERAL,
        NOT_FOR_FEDRAMP,
    ),
    (LicenceTier.ENTERPRISE, True, Environment.FEDRAMP): (
        NOT_FOR_FEDRAMP,
        OPEN_GENERAL,
        OPEN_GENERAL,
        NOT_FOR_FEDRAMP,
    ),
}
COMBINATIONS = [
    (licence, seat, environment, roles)
    for (licence, seat, environment) in METHOD_TABLE
    for roles in ROLE_SETS
]


def _id(combination: tuple[LicenceTier, bool, Environment, frozenset[Role]]) -> str:
    licence, seat, environment, roles = combination
    role_names = "+".join(sorted(roles)) or "standard_user"
    return f"{licence}-{'seat' if seat else 'no_seat'}-{environment}-{role_names}"


def assert_offer(offer: MethodOffer, expected: Expect) -> None:
    assert (offer.status, offer.reason) == (expected.status, expected.reason)
    assert offer.team == expected.team
    assert offer.enterprise_label is expected.label
    assert offer.upgrade_hint is expected.upgrade


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[_id(c) for c in COMBINATIONS])
def test_each_licence_role_and_environment_gets_the_methods_of_the_spec_table(
    combination: tuple[LicenceTier, bool, Environment, frozenset[Role]],
) -> None:
    licence, seat, environment, roles = combination
    offers = offers_for(licence, seat=seat, environment=environment, roles=roles)
    for offer, expected in zip(offers, METHOD_TABLE[(licence, seat, environment)], strict=True):
        assert_offer(offer, expected)


def test_a_seat_holder_gets_the_general_phone_line_for_areas_without_the_enterprise_flag() -> None:
    offers = offers_for(LicenceTier.ENTERPRISE, seat=True, area=BX_DASHBOARDS)
    assert_offer(offers.phone, OPEN_GENERAL)
    assert offers.phone.handover_at is None
    assert_offer(offers.email, OPEN_ENTERPRISE)
    assert_offer(offers.conference, OPEN_ENTERPRISE)


def test_a_seat_holder_cannot_book_a_conference_call_about_accessibility() -> None:
    offers = offers_for(LicenceTier.ENTERPRISE, seat=True, area=ACCESSIBILITY)
    assert_offer(offers.conference, Expect(OfferStatus.NOT_IN_LICENCE, Reason.AREA_NOT_ELIGIBLE))


@pytest.mark.parametrize("licence", list(LicenceTier))
@pytest.mark.parametrize("seat", [False, True])
def test_xm_discover_sends_everyone_to_the_discover_team_and_offers_no_method(
    licence: LicenceTier, seat: bool
) -> None:
    offers = offers_for(licence, seat=seat, area=DISCOVER)
    assert offers.discover_redirect
    for offer in offers:
        assert_offer(offer, Expect(OfferStatus.NOT_IN_LICENCE, Reason.DISCOVER_TEAM))


@pytest.mark.parametrize(
    ("licence", "seat", "environment", "urgent"),
    [
        (LicenceTier.ENTERPRISE, True, Environment.COMMERCIAL, Method.PHONE),
        (LicenceTier.ENTERPRISE, False, Environment.COMMERCIAL, Method.PHONE),
        (LicenceTier.ENTERPRISE, False, Environment.FEDRAMP, Method.PHONE),
        (LicenceTier.STANDARD, False, Environment.COMMERCIAL, None),
        (LicenceTier.SELF_SERVICE, False, Environment.COMMERCIAL, None),
    ],
)
def test_phone_is_recommended_for_urgent_problems_of_enterprise_users(
    licence: LicenceTier, seat: bool, environment: Environment, urgent: Method | None
) -> None:
    assert offers_for(licence, seat=seat, environment=environment).urgent_method == urgent


def test_usable_now_lists_what_is_open_or_takes_requests_for_later() -> None:
    offers = offers_for(LicenceTier.STANDARD, now=SATURDAY, language="it")
    assert [offer.method for offer in offers.usable_now()] == [Method.EMAIL, Method.PHONE]
    assert not offers.chat.accepts_requests


def test_offers_can_be_looked_up_by_method() -> None:
    offers = offers_for(LicenceTier.STANDARD)
    for method in Method:
        assert offers[method].method == method


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        offers_for(LicenceTier.STANDARD, now=datetime(2026, 7, 14, 10))  # noqa: DTZ001


# --- R-BOT-OFF, R-REDIRECT, R-ACCT -------------------------------------------------------------


@pytest.mark.parametrize("combination", COMBINATIONS, ids=[_id(c) for c in COMBINATIONS])
def test_the_flow_around_the_methods_follows_the_users_licence_role_and_environment(
    combination: tuple[LicenceTier, bool, Environment, frozenset[Role]],
) -> None:
    licence, seat, environment, roles = combination
    organisation = OrganisationFacts(licence, environment)
    user = UserFacts(roles=roles, has_seat=seat)
    seat_holder = seat and licence == LicenceTier.ENTERPRISE
    fedramp = environment == Environment.FEDRAMP

    # R-BOT-OFF: FedRAMP users and seat holders see the methods directly.
    assert shows_assistant(organisation, user) is not (fedramp or seat_holder)
    # ...and only FedRAMP users lose the assistant on the knowledge base too.
    assert assistant_on_knowledge_base(organisation) is not fedramp

    # R-REDIRECT: seat holders (and FedRAMP's Enterprise flow) skip the question.
    if seat_holder or fedramp:
        assert redirect_question(organisation, user) is None
    elif Role.BRAND_ADMIN in roles:
        assert redirect_question(organisation, user) == RedirectQuestion.ACCOUNT_TEAM
    else:
        assert redirect_question(organisation, user) == RedirectQuestion.BRAND_ADMIN

    # R-ACCT: brand administrators, billing and primary contacts only.
    access = account_services_access(organisation, user)
    assert access.eligible is bool(roles)
    if not roles:
        assert access.topics == ()
    elif licence == LicenceTier.SELF_SERVICE:
        assert access.topics == SELF_SERVICE_ACCOUNT_TOPICS
    else:
        assert access.topics == FULL_ACCOUNT_TOPICS


def test_self_service_licences_may_only_ask_account_services_about_specialised_billing() -> None:
    access = account_services_access(
        OrganisationFacts(LicenceTier.SELF_SERVICE), UserFacts(roles=frozenset({Role.BRAND_ADMIN}))
    )
    assert set(access.topics) == {
        AccountTopic.FAILED_PAYMENT,
        AccountTopic.REFUND,
        AccountTopic.SPECIALISED_BILLING,
    }


def test_a_standard_user_is_told_whom_to_ask_instead_of_account_services() -> None:
    access = account_services_access(OrganisationFacts(LicenceTier.ENTERPRISE), UserFacts())
    assert not access.eligible


# --- R-ENT-HOURS: general support covers, then hands over ---------------------------------------


@pytest.mark.parametrize(
    ("friday", "sunday"), [((2026, 1, 16), (2026, 1, 18)), ((2026, 7, 17), (2026, 7, 19))]
)
def test_enterprise_email_hands_over_from_general_support_on_sunday_at_1700_denver(
    friday: tuple[int, int, int], sunday: tuple[int, int, int]
) -> None:
    before = offers_for(LicenceTier.ENTERPRISE, seat=True, now=at(DENVER, *friday, 16, 59))
    assert before.email.team == Team.ENTERPRISE
    assert before.email.handover_at is None

    after = offers_for(LicenceTier.ENTERPRISE, seat=True, now=at(DENVER, *friday, 17, 0))
    assert after.email.is_available
    assert after.email.team == Team.GENERAL
    assert after.email.enterprise_label
    assert after.email.handover_at == at(DENVER, *sunday, 17, 0)
    assert after.phone.team == Team.GENERAL
    assert after.phone.handover_at == at(DENVER, *sunday, 17, 0)

    sunday_offers = offers_for(LicenceTier.ENTERPRISE, seat=True, now=at(DENVER, *sunday, 16, 59))
    assert sunday_offers.email.team == Team.GENERAL
    back = offers_for(LicenceTier.ENTERPRISE, seat=True, now=at(DENVER, *sunday, 17, 0))
    assert back.email.team == Team.ENTERPRISE
    assert back.phone.team == Team.ENTERPRISE


def test_the_handover_waits_for_an_enterprise_agent_who_speaks_the_language() -> None:
    # Only general support speaks Italian here: no Enterprise team will take it over.
    staffing = staffed(languages=["it"])
    enterprise_key = QueueKey("it", SURVEYS.slug, Team.ENTERPRISE)
    phone = {**staffing.phone, enterprise_key: QueueState()}
    offers = offers_for(
        LicenceTier.ENTERPRISE,
        seat=True,
        language="it",
        now=at(ROME, 2026, 7, 14, 10),
        staffing=Staffing(phone=phone, chat=staffing.chat),
    )
    assert offers.phone.is_available
    assert offers.phone.team == Team.GENERAL
    assert offers.phone.handover_at is None


def test_a_seat_holders_italian_email_on_saturday_is_answered_by_enterprise_on_monday() -> None:
    offers = offers_for(LicenceTier.ENTERPRISE, seat=True, language="it", now=SATURDAY)
    assert offers.email.status == OfferStatus.NOT_NOW
    assert offers.email.reason == Reason.OUTSIDE_LANGUAGE_HOURS
    assert offers.email.next_opening == at(ROME, 2026, 7, 20, 8)
    assert offers.email.team == Team.ENTERPRISE
    assert offers.email.accepts_requests


# --- R-LANG-HOURS and R-FALLBACK -----------------------------------------------------------------


def test_an_italian_callback_after_1630_rome_is_scheduled_for_0800_or_taken_now_in_english() -> (
    None
):
    offers = offers_for(LicenceTier.STANDARD, language="it", now=at(ROME, 2026, 3, 10, 16, 30))
    phone = offers.phone
    assert phone.status == OfferStatus.NOT_NOW
    assert phone.reason == Reason.OUTSIDE_LANGUAGE_HOURS
    assert phone.next_opening == at(ROME, 2026, 3, 11, 8)
    assert phone.accepts_requests
    assert phone.english_now
    assert phone.suggest_english
    assert phone.english_wait is not None
    assert phone.queue == QueueKey("it", SURVEYS.slug, Team.GENERAL)


def test_an_italian_callback_at_1629_rome_is_taken_now() -> None:
    offers = offers_for(LicenceTier.STANDARD, language="it", now=at(ROME, 2026, 3, 10, 16, 29))
    assert offers.phone.is_available
    assert offers.phone.wait is not None


def test_an_email_in_italian_outside_its_hours_is_accepted_and_answered_at_the_opening() -> None:
    offers = offers_for(LicenceTier.STANDARD, language="it", now=at(ROME, 2026, 3, 27, 17))
    assert offers.email.status == OfferStatus.NOT_NOW
    assert offers.email.accepts_requests
    # The Monday after Europe's clock change: 08:00 CEST is 06:00 UTC.
    assert offers.email.next_opening == at(ROME, 2026, 3, 30, 8)
    assert not offers.email.suggest_english


def test_japanese_phone_closes_at_1700_tokyo_and_reopens_on_monday_at_0900() -> None:
    open_offers = offers_for(
        LicenceTier.STANDARD, language="ja", now=at(TOKYO, 2026, 3, 13, 16, 59)
    )
    assert open_offers.phone.is_available
    closed = offers_for(LicenceTier.STANDARD, language="ja", now=at(TOKYO, 2026, 3, 13, 17))
    assert closed.phone.status == OfferStatus.NOT_NOW
    assert closed.phone.next_opening == at(TOKYO, 2026, 3, 16, 9)


def test_spanish_chat_is_offered_for_surveys_inside_spanish_hours() -> None:
    offers = offers_for(LicenceTier.STANDARD, language="es", now=at(BERLIN, 2026, 3, 10, 10))
    assert offers.chat.is_available
    assert offers.chat.queue == QueueKey("es", SURVEYS.slug, Team.GENERAL)


def test_spanish_chat_is_not_offered_for_other_areas_and_the_page_suggests_phone_or_email() -> None:
    offers = offers_for(
        LicenceTier.STANDARD, language="es", area=BX_DASHBOARDS, now=at(BERLIN, 2026, 3, 10, 10)
    )
    assert offers.chat.status == OfferStatus.NOT_NOW
    assert offers.chat.reason == Reason.LANGUAGE_NOT_OFFERED
    assert offers.chat.next_opening is None
    assert offers.phone.is_available
    assert offers.email.is_available


def test_spanish_chat_on_saturday_opens_on_monday_at_0800_berlin() -> None:
    offers = offers_for(LicenceTier.STANDARD, language="es", now=SATURDAY)
    assert offers.chat.status == OfferStatus.NOT_NOW
    assert offers.chat.reason == Reason.OUTSIDE_HOURS
    assert offers.chat.next_opening == at(BERLIN, 2026, 7, 20, 8)


@pytest.mark.parametrize("language", ["de", "fr", "it", "nl", "ja", "pt"])
def test_chat_is_only_in_english_and_spanish(language: str) -> None:
    offers = offers_for(LicenceTier.STANDARD, language=language)
    assert offers.chat.reason == Reason.LANGUAGE_NOT_OFFERED


def test_a_language_without_any_hours_is_never_staffed() -> None:
    languages = {code: hours for code, hours in DEFAULT_LANGUAGE_HOURS.items() if code != "nl"}
    hours = ServiceHours(channels=HOURS.channels, languages=languages)
    offers = offers_for(LicenceTier.STANDARD, language="nl", hours=hours)
    assert offers.email.status == OfferStatus.NOT_NOW
    assert offers.email.reason == Reason.LANGUAGE_NOT_OFFERED
    assert offers.email.next_opening is None
    assert not offers.email.accepts_requests


def test_english_follows_hours_of_its_own_when_operations_give_it_some() -> None:
    languages = {**DEFAULT_LANGUAGE_HOURS, "en": weekdays(time(8), time(17), DENVER)}
    hours = ServiceHours(channels=HOURS.channels, languages=languages)
    offers = offers_for(LicenceTier.STANDARD, now=SATURDAY, hours=hours)
    assert offers.email.reason == Reason.OUTSIDE_LANGUAGE_HOURS


def _italian_and_english(
    *, italian_agents: int, italian_waiting: int, english_agents: int, english_waiting: int
) -> Staffing:
    def state(agents: int, waiting: int) -> QueueState:
        return QueueState(agent_shifts=(ALL_WEEK,) * agents, waiting=waiting, handle_seconds=480)

    phone = {
        QueueKey("it", SURVEYS.slug, Team.GENERAL): state(italian_agents, italian_waiting),
        QueueKey("en", SURVEYS.slug, Team.GENERAL): state(english_agents, english_waiting),
    }
    return Staffing(phone=phone, chat=phone)


ITALIAN_MORNING = at(ROME, 2026, 3, 10, 10)


def test_thin_italian_cover_suggests_english_when_its_wait_is_much_longer() -> None:
    staffing = _italian_and_english(
        italian_agents=1, italian_waiting=6, english_agents=4, english_waiting=0
    )
    offers = offers_for(LicenceTier.STANDARD, language="it", now=ITALIAN_MORNING, staffing=staffing)
    assert offers.phone.is_available
    assert offers.phone.wait is not None
    assert offers.phone.wait.expected_seconds == pytest.approx(7 * 480)
    assert offers.phone.english_now
    assert offers.phone.suggest_english


def test_a_slightly_longer_italian_wait_does_not_suggest_english() -> None:
    staffing = _italian_and_english(
        italian_agents=4, italian_waiting=1, english_agents=4, english_waiting=0
    )
    offers = offers_for(LicenceTier.STANDARD, language="it", now=ITALIAN_MORNING, staffing=staffing)
    assert not offers.phone.suggest_english


def test_the_fallback_threshold_is_a_setting_not_a_constant() -> None:
    staffing = _italian_and_english(
        italian_agents=1, italian_waiting=6, english_agents=4, english_waiting=1
    )
    patient = Thresholds(fallback_factor=20.0)
    offers = offers_for(
        LicenceTier.STANDARD,
        language="it",
        now=ITALIAN_MORNING,
        staffing=staffing,
        thresholds=patient,
    )
    assert not offers.phone.suggest_english


# --- Staffing and the wait ---------------------------------------------------------------------


def test_the_phone_offer_carries_the_erlang_estimate_for_its_queue() -> None:
    staffing = staffed(agents=3, waiting=0, arrivals_per_hour=20, handle_seconds=300)
    offers = offers_for(LicenceTier.STANDARD, staffing=staffing)
    expected = erlang.estimate_wait(arrivals_per_hour=20, agents=3, waiting=0, handle_seconds=300)
    assert offers.phone.wait == expected
    assert offers.chat.wait == expected
    assert offers.email.wait is None


def test_a_queue_nobody_staffs_now_is_not_now_until_the_next_shift_starts() -> None:
    day_shift = weekdays(time(8), time(17), DENVER)
    staffing = staffed(shifts=day_shift, agents=1)
    evening = at(DENVER, 2026, 7, 14, 18)
    offers = offers_for(LicenceTier.STANDARD, now=evening, staffing=staffing)
    assert offers.phone.status == OfferStatus.NOT_NOW
    assert offers.phone.reason == Reason.NOBODY_ON_SHIFT
    assert offers.phone.next_opening == at(DENVER, 2026, 7, 15, 8)
    assert offers.phone.wait is None
    assert offers.phone.accepts_requests
    assert offers.email.is_available


def test_a_queue_nobody_ever_staffs_has_no_opening_and_takes_no_callbacks() -> None:
    offers = offers_for(LicenceTier.STANDARD, staffing=Staffing())
    assert offers.phone.status == OfferStatus.NOT_NOW
    assert offers.phone.reason == Reason.NOBODY_ON_SHIFT
    assert offers.phone.next_opening is None
    assert not offers.phone.accepts_requests


def test_chat_is_temporarily_unavailable_when_its_queue_is_long() -> None:
    staffing = staffed(agents=1, waiting=5, handle_seconds=600)
    offers = offers_for(LicenceTier.STANDARD, staffing=staffing)
    assert offers.chat.status == OfferStatus.NOT_NOW
    assert offers.chat.reason == Reason.QUEUE_TOO_LONG
    assert offers.chat.next_opening is None
    assert offers.phone.is_available  # a callback does not mind a long queue


def test_a_conference_call_cannot_be_booked_when_there_are_no_conference_hours() -> None:
    channels = {key: hours for key, hours in HOURS.channels.items() if key[0] != Method.CONFERENCE}
    hours = ServiceHours(channels=channels, languages=HOURS.languages)
    offers = offers_for(LicenceTier.ENTERPRISE, seat=True, hours=hours)
    assert offers.conference.status == OfferStatus.NOT_NOW
    assert not offers.conference.accepts_requests


def test_a_conference_call_can_be_booked_at_the_weekend_for_a_later_slot() -> None:
    offers = offers_for(LicenceTier.ENTERPRISE, seat=True, now=SATURDAY)
    assert offers.conference.is_available
    assert offers.conference.accepts_requests


# --- Properties -------------------------------------------------------------------------------

ROSTER = roster_staffing(waiting=2, arrivals_per_hour=10)
organisations = st.builds(
    OrganisationFacts,
    licence=st.sampled_from(list(LicenceTier)),
    environment=st.sampled_from(list(Environment)),
)
users = st.builds(UserFacts, roles=st.sampled_from(ROLE_SETS), has_seat=st.booleans())
moments = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(DENVER),
)
languages = st.sampled_from(LANGUAGES)
areas = st.sampled_from(AREAS)


def _schedules_behind(offer: MethodOffer, language: str, area: AreaFacts) -> list[Schedule]:
    """What must be open for this offer's team, language and queue."""
    assert offer.team is not None
    schedules = [HOURS.channel(offer.method, offer.team)]
    if language != "en":
        schedules.append(HOURS.languages[language])
    if offer.method in (Method.PHONE, Method.CHAT):
        queue = ROSTER.queue(offer.method, QueueKey(language, area.slug, offer.team))
        schedules.append(queue.any_shift)
    return schedules


def _offers(
    organisation: OrganisationFacts,
    user: UserFacts,
    area: AreaFacts,
    language: str,
    now: datetime,
) -> ContactOffers:
    return contact_offers(organisation, user, area, language, now=now, hours=HOURS, staffing=ROSTER)


@given(organisation=organisations, user=users, area=areas, language=languages, now=moments)
def test_an_offer_marked_available_is_inside_its_window(
    organisation: OrganisationFacts, user: UserFacts, area: AreaFacts, language: str, now: datetime
) -> None:
    for offer in _offers(organisation, user, area, language, now):
        if offer.is_available and offer.method != Method.CONFERENCE:
            for schedule in _schedules_behind(offer, language, area):
                assert is_open(schedule, now)


@given(organisation=organisations, user=users, area=areas, language=languages, now=moments)
def test_the_next_opening_is_in_the_future_and_inside_a_window(
    organisation: OrganisationFacts, user: UserFacts, area: AreaFacts, language: str, now: datetime
) -> None:
    for offer in _offers(organisation, user, area, language, now):
        if offer.next_opening is not None:
            assert offer.status == OfferStatus.NOT_NOW
            assert offer.next_opening > now
            for schedule in _schedules_behind(offer, language, area):
                assert is_open(schedule, offer.next_opening)


@given(organisation=organisations, user=users, area=areas, language=languages, now=moments)
def test_a_handover_happens_later_when_the_enterprise_team_is_open(
    organisation: OrganisationFacts, user: UserFacts, area: AreaFacts, language: str, now: datetime
) -> None:
    for offer in _offers(organisation, user, area, language, now):
        if offer.handover_at is not None:
            assert offer.team == Team.GENERAL
            assert offer.enterprise_label
            assert offer.handover_at > now
            enterprise = replace(offer, team=Team.ENTERPRISE)
            for schedule in _schedules_behind(enterprise, language, area):
                assert is_open(schedule, offer.handover_at)


@given(organisation=organisations, user=users, area=areas, language=languages, now=moments)
def test_every_offer_is_consistent_with_its_status(
    organisation: OrganisationFacts, user: UserFacts, area: AreaFacts, language: str, now: datetime
) -> None:
    for offer in _offers(organisation, user, area, language, now):
        if offer.status == OfferStatus.NOT_IN_LICENCE:
            assert offer.team is None and offer.wait is None and not offer.accepts_requests
        if offer.wait is not None:
            assert offer.method in (Method.PHONE, Method.CHAT)
        if offer.suggest_english:
            assert offer.english_now and language != "en"
        if offer.is_available and offer.method in (Method.PHONE, Method.CHAT):
            assert offer.wait is not None


@given(now=moments, waiting=st.integers(0, 30))
def test_the_offered_wait_grows_with_the_queue(now: datetime, waiting: int) -> None:
    shorter = offers_for(LicenceTier.STANDARD, now=now, staffing=staffed(waiting=waiting))
    longer = offers_for(LicenceTier.STANDARD, now=now, staffing=staffed(waiting=waiting + 1))
    assert shorter.phone.wait is not None and longer.phone.wait is not None
    assert longer.phone.wait.expected_seconds > shorter.phone.wait.expected_seconds


@given(now=moments, agents=st.integers(1, 20), waiting=st.integers(0, 30))
def test_the_offered_wait_shrinks_with_more_agents(
    now: datetime, agents: int, waiting: int
) -> None:
    fewer = offers_for(
        LicenceTier.STANDARD, now=now, staffing=staffed(agents=agents, waiting=waiting)
    )
    more = offers_for(
        LicenceTier.STANDARD, now=now, staffing=staffed(agents=agents + 1, waiting=waiting)
    )
    assert fewer.phone.wait is not None and more.phone.wait is not None
    assert more.phone.wait.expected_seconds <= fewer.phone.wait.expected_seconds


def test_method_offer_answers_for_one_method_as_contact_offers_does() -> None:
    organisation = OrganisationFacts(LicenceTier.ENTERPRISE, success_packages=1)
    user = UserFacts(has_seat=True)
    single = method_offer(
        Method.PHONE,
        organisation,
        user,
        SURVEYS,
        "it",
        now=SATURDAY + timedelta(hours=1),
        hours=HOURS,
        staffing=EVERYONE,
    )
    assert (
        single
        == offers_for(
            LicenceTier.ENTERPRISE, seat=True, language="it", now=SATURDAY + timedelta(hours=1)
        ).phone
    )
