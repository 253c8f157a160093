"""The selectors read the database into the policy: the demo roster, queues, waits, skills."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test.utils import CaptureQueriesContext

from hub.accounts.models import User
from routing.configuration import configuration_changed, current_configuration
from routing.demo import routing_demo_seed
from routing.hours import (
    DEFAULT_CHANNEL_HOURS,
    DEFAULT_LANGUAGE_HOURS,
    Interval,
    Schedule,
    intersect,
    open_intervals,
)
from routing.models import Agent, AgentShift, LanguageWindow, ProductArea, ServiceWindow
from routing.policy import (
    FULL_ACCOUNT_TOPICS,
    Method,
    OfferStatus,
    QueueKey,
    Reason,
    RedirectQuestion,
    Team,
    default_service_hours,
)
from routing.selectors import (
    agent_schedule,
    agent_skills,
    average_handle_seconds,
    callback_wait_estimate,
    conference_slots_for,
    hub_access_for,
    knowledge_base_assistant_for,
    member_facts,
    service_hours,
)
from routing.services import service_hours_ensure_defaults
from tests.routing.helpers import DENVER, ROME, TOKYO, at
from tests.routing.measured import measured_staffing, offers_for
from tickets.chat.services import chat_presence_set
from tickets.models import CallbackRequest, Channel, Status, Ticket
from tickets.numbering import next_ticket_number
from tickets.queues import callback_facts, queue_statistics_refresh

TUESDAY_MORNING = at(DENVER, 2026, 7, 14, 10)
SATURDAY = at(DENVER, 2026, 7, 18, 10)
ITALIAN_MORNING = at(ROME, 2026, 7, 14, 10)


@pytest.fixture
def roster(db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return routing_demo_seed()


def phone_ticket(
    user: User,
    area: ProductArea,
    *,
    language: str = "en",
    team: str = "general",
    enqueued_at: datetime,
    taken_at: datetime | None = None,
    solved_at: datetime | None = None,
) -> CallbackRequest:
    ticket = Ticket.objects.create(
        number=next_ticket_number(),
        requester=user,
        organisation=user.membership.organisation,
        team="enterprise" if team == "enterprise" else "technical",
        product_area=area,
        channel=Channel.PHONE,
        phone_number="+442079460018",
        language=language,
        subject="The survey will not send",
        status=Status.SOLVED if solved_at else Status.QUEUED,
        solved_at=solved_at,
    )
    return CallbackRequest.objects.create(
        ticket=ticket,
        language=language,
        product_area=area,
        team=team,
        enqueued_at=enqueued_at,
        taken_at=taken_at,
    )


# --- The demo roster ---------------------------------------------------------------------------


@pytest.mark.smoke
def test_the_demo_roster_is_seeded_once_however_often_it_runs(
    agent: User, roster: list[Agent]
) -> None:
    shifts = AgentShift.objects.count()
    again = routing_demo_seed()
    assert len(again) == len(roster) == Agent.objects.count()
    assert AgentShift.objects.count() == shifts
    assert Agent.objects.get(user__email="agent@hub.example").user_id == agent.pk
    assert User.objects.filter(email="agent@hub.example").count() == 1


def test_the_demo_roster_reuses_the_demo_agent_login(db: None, agent: User) -> None:
    routing_demo_seed()
    agent.refresh_from_db()
    assert agent.agent.languages == ["en"]
    assert agent.has_usable_password()


def test_roster_logins_get_the_demo_password_when_given_one(db: None) -> None:
    routing_demo_seed(password="hub-demo-2026")
    italian = User.objects.get(email="agent.it@hub.example")
    assert italian.is_staff
    assert italian.check_password("hub-demo-2026")
    assert italian.groups.filter(name="Support agents").exists()


# Weeks around the clock changes of 2026 and a plain summer week.
WEEKS = [
    (at(DENVER, 2026, 3, 1, 0), at(DENVER, 2026, 4, 6, 0)),
    (at(DENVER, 2026, 7, 5, 0), at(DENVER, 2026, 7, 13, 0)),
    (at(DENVER, 2026, 10, 18, 0), at(DENVER, 2026, 11, 9, 0)),
]


def _uncovered(needed: Schedule, cover: Schedule, start: datetime, end: datetime) -> list[Interval]:
    wanted = open_intervals(needed, start, end)
    return [
        opening
        for opening in wanted
        if intersect([opening], open_intervals(cover, start, end)) != [opening]
    ]


def _cover(agents: list[Agent], *, team: str, language: str, chat: bool = False) -> Schedule:
    windows = [
        window
        for agent in agents
        if agent.team == team and agent.speaks(language) and (agent.available_for_chat or not chat)
        for window in agent_schedule(agent)
    ]
    return Schedule(windows)


@pytest.mark.parametrize(("start", "end"), WEEKS)
def test_the_demo_roster_covers_every_language_window_and_the_enterprise_hours(
    roster: list[Agent], start: datetime, end: datetime
) -> None:
    agents = list(Agent.objects.prefetch_related("shifts"))
    for language, hours in DEFAULT_LANGUAGE_HOURS.items():
        assert (
            _uncovered(hours, _cover(agents, team="general", language=language), start, end) == []
        )
    round_the_clock = DEFAULT_CHANNEL_HOURS[("phone", "general")]
    english = _cover(agents, team="general", language="en")
    assert _uncovered(round_the_clock, english, start, end) == []
    chat = DEFAULT_CHANNEL_HOURS[("chat", "general")]
    assert (
        _uncovered(chat, _cover(agents, team="general", language="en", chat=True), start, end) == []
    )
    enterprise = DEFAULT_CHANNEL_HOURS[("phone", "enterprise")]
    assert (
        _uncovered(enterprise, _cover(agents, team="enterprise", language="en"), start, end) == []
    )


def test_the_default_hours_are_the_spec_hours(db: None) -> None:
    ServiceWindow.objects.all().delete()
    LanguageWindow.objects.all().delete()
    service_hours_ensure_defaults()
    hours = service_hours()
    expected = default_service_hours()
    assert {key: set(value) for key, value in hours.channels.items()} == {
        key: set(value) for key, value in expected.channels.items()
    }
    assert {key: set(value) for key, value in hours.languages.items()} == {
        key: set(value) for key, value in expected.languages.items()
    }


def test_hours_that_operations_changed_are_left_alone(db: None) -> None:
    service_hours_ensure_defaults()
    ServiceWindow.objects.filter(channel="chat").update(time_zone="Europe/London")
    configuration_changed()
    LanguageWindow.objects.filter(language="ja").delete()
    service_hours_ensure_defaults()
    assert set(
        ServiceWindow.objects.filter(channel="chat").values_list("time_zone", flat=True)
    ) == {"Europe/London"}
    assert LanguageWindow.objects.filter(language="ja").count() == 5


# --- Offers for a member -------------------------------------------------------------------------


@pytest.mark.smoke
def test_a_standard_user_is_offered_chat_email_and_phone_on_a_tuesday_morning(
    roster: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
    django_assert_num_queries: Callable[[int], CaptureQueriesContext],
) -> None:
    # The demo agent has switched chat on in the console.
    chat_presence_set(
        agent=User.objects.get(email="agent@hub.example"), available=True, now=TUESDAY_MORNING
    )
    queue_statistics_refresh(now=TUESDAY_MORNING)
    # Hours, roster and areas are read once per change, not per request.
    current_configuration()
    # The member; the queues (tickets': waiting counts, statistics, the chat console: one).
    with django_assert_num_queries(2):
        offers = offers_for(
            standard_user, area=surveys_area, language="en", now=TUESDAY_MORNING, refresh=False
        )
    assert offers.chat.is_available
    assert offers.email.is_available
    assert offers.phone.is_available
    assert offers.phone.team == Team.GENERAL
    assert offers.phone.queue == QueueKey("en", "surveys-xm-directory", Team.GENERAL)
    assert offers.phone.wait is not None
    assert offers.conference.status == OfferStatus.NOT_IN_LICENCE
    assert offers.conference.upgrade_hint
    assert offers.shows_assistant


def test_a_seat_holders_enterprise_email_is_covered_by_general_support_on_saturday(
    roster: list[Agent], seat_holder: User, surveys_area: ProductArea
) -> None:
    offers = offers_for(seat_holder, area=surveys_area, language="en", now=SATURDAY)
    assert offers.email.is_available
    assert offers.email.enterprise_label
    assert offers.email.team == Team.GENERAL
    assert offers.email.handover_at == at(DENVER, 2026, 7, 19, 17)
    assert offers.phone.team == Team.GENERAL
    assert offers.phone.handover_at == at(DENVER, 2026, 7, 19, 17)
    assert not offers.shows_assistant


def test_a_seat_holder_reaches_the_enterprise_team_on_a_weekday(
    roster: list[Agent], seat_holder: User, surveys_area: ProductArea
) -> None:
    offers = offers_for(seat_holder, area=surveys_area, language="en", now=TUESDAY_MORNING)
    assert offers.phone.team == Team.ENTERPRISE
    assert offers.phone.enterprise_label
    assert offers.conference.is_available


def test_a_fedramp_user_gets_email_and_phone_from_general_support_and_no_assistant(
    roster: list[Agent], fedramp_user: User, surveys_area: ProductArea
) -> None:
    offers = offers_for(fedramp_user, area=surveys_area, language="en", now=SATURDAY)
    assert offers.chat.reason == Reason.NOT_IN_ENVIRONMENT
    assert offers.email.team == Team.GENERAL
    assert offers.phone.team == Team.GENERAL
    assert not offers.shows_assistant
    assert not knowledge_base_assistant_for(fedramp_user)


def test_an_italian_callback_on_saturday_waits_for_monday_or_english_now(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    offers = offers_for(standard_user, area=surveys_area, language="it", now=SATURDAY)
    assert offers.phone.status == OfferStatus.NOT_NOW
    assert offers.phone.next_opening == at(ROME, 2026, 7, 20, 8)
    assert offers.phone.accepts_requests
    assert offers.phone.english_now
    assert offers.phone.suggest_english


def test_staff_who_are_not_members_are_refused(
    agent: User, roster: list[Agent], surveys_area: ProductArea
) -> None:
    with pytest.raises(PermissionDenied):
        offers_for(agent, area=surveys_area, language="en", now=SATURDAY)


def test_an_unknown_language_is_refused(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    with pytest.raises(ValueError, match="support language"):
        offers_for(standard_user, area=surveys_area, language="sv", now=SATURDAY)


def test_an_agent_who_covers_other_areas_does_not_staff_this_one(
    roster: list[Agent], surveys_area: ProductArea, product_areas: list[ProductArea]
) -> None:
    japanese = Agent.objects.get(user__email="agent.ja@hub.example")
    japanese.product_areas.set([area for area in product_areas if area.slug == "bx-dashboards"])
    now = at(TOKYO, 2026, 7, 14, 10)
    staffing = measured_staffing(area=surveys_area, languages={"ja"}, now=now)
    assert staffing.phone[QueueKey("ja", surveys_area.slug, Team.GENERAL)].agents_on_shift(now) == 0


# --- Measured queue state -------------------------------------------------------------------


def test_waiting_callbacks_lengthen_the_offered_wait(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    before = offers_for(standard_user, area=surveys_area, language="it", now=ITALIAN_MORNING)
    for minutes in (30, 20, 10):
        phone_ticket(
            standard_user,
            surveys_area,
            language="it",
            enqueued_at=ITALIAN_MORNING - timedelta(minutes=minutes),
        )
    after = offers_for(standard_user, area=surveys_area, language="it", now=ITALIAN_MORNING)
    assert before.phone.wait is not None and after.phone.wait is not None
    # One Italian agent on shift: behind three callbacks, four calls must finish first.
    assert after.phone.wait.expected_seconds == pytest.approx(4 * 480)
    assert after.phone.wait.expected_seconds > before.phone.wait.expected_seconds


def test_recent_arrivals_raise_the_chance_of_waiting_for_an_empty_queue(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    quiet = measured_staffing(area=surveys_area, languages={"it"}, now=ITALIAN_MORNING)
    key = QueueKey("it", surveys_area.slug, Team.GENERAL)
    assert quiet.phone[key].arrivals_per_hour == 0
    for minutes in range(5, 50, 5):
        phone_ticket(
            standard_user,
            surveys_area,
            language="it",
            enqueued_at=ITALIAN_MORNING - timedelta(minutes=minutes),
            taken_at=ITALIAN_MORNING - timedelta(minutes=minutes - 1),
        )
    busy = measured_staffing(area=surveys_area, languages={"it"}, now=ITALIAN_MORNING)
    assert busy.phone[key].arrivals_per_hour == 9
    assert busy.phone[key].waiting == 0
    offers = offers_for(standard_user, area=surveys_area, language="it", now=ITALIAN_MORNING)
    assert offers.phone.wait is not None
    assert offers.phone.wait.probability_of_waiting > 0


def test_the_handle_time_is_measured_from_finished_callbacks_once_there_are_enough(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    def finished(count: int) -> None:
        for number in range(count):
            taken = ITALIAN_MORNING - timedelta(days=1, minutes=10 * number)
            phone_ticket(
                standard_user,
                surveys_area,
                enqueued_at=taken - timedelta(minutes=3),
                taken_at=taken,
                solved_at=taken + timedelta(minutes=5),
            )

    def measured() -> float:
        queue_statistics_refresh(now=ITALIAN_MORNING)
        return average_handle_seconds(
            Method.PHONE,
            language="en",
            area_id=surveys_area.pk,
            team=Team.GENERAL,
            queues=callback_facts(ITALIAN_MORNING),
        )

    finished(19)
    assert measured() == 480  # too little history: the default
    finished(1)
    assert measured() == pytest.approx(300)


def test_a_queued_callbacks_wait_grows_with_its_position(
    roster: list[Agent], surveys_area: ProductArea
) -> None:
    first = callback_wait_estimate(
        language="it",
        area_id=surveys_area.pk,
        team="general",
        position=1,
        now=ITALIAN_MORNING,
        queues=callback_facts(ITALIAN_MORNING),
    )
    third = callback_wait_estimate(
        language="it",
        area_id=surveys_area.pk,
        team="general",
        position=3,
        now=ITALIAN_MORNING,
        queues=callback_facts(ITALIAN_MORNING),
    )
    assert first is not None and third is not None
    assert third.low_seconds < third.expected_seconds < third.high_seconds
    assert third.expected_seconds > first.expected_seconds
    # Next in line with no arrivals measured: an agent is free (the form's model, Erlang B).
    assert first.expected_seconds == 0
    assert third.expected_seconds == 3 * timedelta(minutes=8).total_seconds()


def test_a_queued_callback_has_no_estimate_while_nobody_speaks_its_language(
    roster: list[Agent], surveys_area: ProductArea
) -> None:
    assert (
        callback_wait_estimate(
            language="ja",
            area_id=surveys_area.pk,
            team="general",
            position=1,
            now=SATURDAY,
            queues=callback_facts(SATURDAY),
        )
        is None
    )


# --- Skills, slots and the hub flow ---------------------------------------------------------


def test_an_agent_on_the_roster_has_their_languages_areas_and_queue_team(
    roster: list[Agent], product_areas: list[ProductArea]
) -> None:
    italian = User.objects.get(email="agent.it@hub.example")
    skills = agent_skills(italian)
    assert skills is not None
    assert skills.languages == ["it", "en"]
    assert skills.area_ids is None
    assert skills.teams == ["general"]
    surveys = [area for area in product_areas if area.slug == "surveys-xm-directory"]
    italian.agent.product_areas.set(surveys)
    narrowed = agent_skills(italian)
    assert narrowed is not None
    assert narrowed.area_ids == [surveys[0].pk]


def test_staff_off_the_roster_have_no_skills(db: None, agent: User) -> None:
    assert agent_skills(agent) is None


def test_conference_slots_follow_the_specialists_on_shift(roster: list[Agent]) -> None:
    monday = at(DENVER, 2026, 1, 12, 0)
    end = monday + timedelta(days=1)
    slots = conference_slots_for(start=monday, end=end)
    assert len(slots) == 18
    # At 08:00 Denver the Dublin specialist is still on shift: one booking leaves a slot.
    eight, ten = at(DENVER, 2026, 1, 12, 8), at(DENVER, 2026, 1, 12, 10)
    booked = conference_slots_for(start=monday, end=end, booked=[eight, ten])
    assert eight in booked
    assert ten not in booked


def test_the_hub_flow_asks_each_member_the_right_question(
    roster: list[Agent],
    standard_user: User,
    brand_admin: User,
    seat_holder: User,
    fedramp_user: User,
) -> None:
    assert (
        hub_access_for(member_facts(standard_user)).redirect_question
        == RedirectQuestion.BRAND_ADMIN
    )
    assert not hub_access_for(member_facts(standard_user)).account_services.eligible
    admin_access = hub_access_for(member_facts(brand_admin))
    assert admin_access.redirect_question == RedirectQuestion.ACCOUNT_TEAM
    assert admin_access.account_services.topics == FULL_ACCOUNT_TOPICS
    seat_access = hub_access_for(member_facts(seat_holder))
    assert seat_access.redirect_question is None
    assert not seat_access.shows_assistant
    assert seat_access.assistant_on_knowledge_base
    assert not hub_access_for(member_facts(fedramp_user)).assistant_on_knowledge_base
    assert knowledge_base_assistant_for(standard_user)


def test_a_closed_chat_in_the_database_hours_is_closed_in_the_offers(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    ServiceWindow.objects.filter(channel="chat", weekday=1).delete()  # no chat on Tuesdays
    offers = offers_for(standard_user, area=surveys_area, language="en", now=TUESDAY_MORNING)
    assert offers.chat.status == OfferStatus.NOT_NOW
    assert offers.chat.next_opening == at(DENVER, 2026, 7, 15, 0)
