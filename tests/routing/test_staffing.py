"""Agents needed for a service level (Erlang C), and the week's half-hours: published tables,
table tests and properties."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.erlang import agents_for_service_level, erlang_c, service_level
from routing.policy import Team
from routing.staffing import (
    HalfHour,
    ServiceTarget,
    StaffingQueue,
    half_hours_covered,
    staffing_plan,
    week_half_hours,
    week_start,
)
from tests.routing.test_erlang import exact_erlang_c

ROME = ZoneInfo("Europe/Rome")
NEW_YORK = ZoneInfo("America/New_York")
SPANISH = StaffingQueue("es", Team.GENERAL)


# --- Published tables ------------------------------------------------------------------------

# Erlang C probability of waiting, P(W>0), to the four decimals tables print it: the small
# cases are closed forms (M/M/2 at A = 1: 1/3; M/M/3 at A = 2: 4/9), the others the classic
# call-centre worked example (100 calls in 30 minutes, 180-second handle time: 10 erlangs,
# 11 to 15 agents) that planning guides and tests/routing/test_erlang.py reproduce.
PUBLISHED_WAITING = [
    (2, 1.0, 0.3333),  # M/M/2 at half load: 1/3
    (3, 2.0, 0.4444),  # 4/9
    (11, 10.0, 0.6821),
    (12, 10.0, 0.4494),
    (13, 10.0, 0.2853),
    (14, 10.0, 0.1741),
    (15, 10.0, 0.1020),
]


@pytest.mark.parametrize(("agents", "traffic", "published"), PUBLISHED_WAITING)
def test_the_probability_of_waiting_matches_the_published_erlang_c_tables(
    agents: int, traffic: float, published: float
) -> None:
    assert erlang_c(agents, traffic) == pytest.approx(published, abs=5e-5)
    assert erlang_c(agents, traffic) == pytest.approx(
        float(exact_erlang_c(agents, Fraction(traffic))), rel=1e-12
    )


# The same worked example's agents needed (10 erlangs, 180-second handle time, answered within
# 20 seconds): its printed service levels are 39.0 %, 64.0 %, 79.6 %, 88.8 % and 94.1 % for 11
# to 15 agents, so 80/20 needs 14, 75/20 needs 13, 90/20 needs 15, 60/20 needs 12.
@pytest.mark.parametrize(
    ("share", "published_agents"), [(0.35, 11), (0.6, 12), (0.75, 13), (0.8, 14), (0.9, 15)]
)
def test_agents_needed_match_the_classic_worked_example(
    share: float, published_agents: int
) -> None:
    needed = agents_for_service_level(
        traffic=10.0, handle_seconds=180, answer_within_seconds=20, share=share
    )
    assert needed == published_agents


def test_agents_needed_for_calls_not_delayed_match_the_wolfram_erlangc_application() -> None:
    # The Wolfram Language's ErlangC reference page, "Applications": 30 calls an hour, five
    # minutes each (A = 2.5), a 90 % chance that a call is not delayed. 1 - C(N, 2.5) is
    # 0.6801, 0.8696 and 0.9526 for 4, 5 and 6 agents: six are needed.
    assert erlang_c(5, 2.5) == pytest.approx(0.1304, abs=5e-5)
    needed = agents_for_service_level(
        traffic=30 * 300 / 3600, handle_seconds=300, answer_within_seconds=0, share=0.9
    )
    assert needed == 6


# --- Table tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traffic", "share", "within", "needed"),
    [
        (0.0, 0.8, 600, 0),  # nobody calls: nobody is needed
        (0.01, 0.8, 600, 1),  # one call now and then: one agent
        (0.5, 0.85, 0, 2),  # 85 % answered at once: one agent keeps half waiting, two 1/10
        (0.5, 0.99, 0, 4),  # 99 %: three agents still keep 1.5 % waiting
        (2.0, 0.8, 600, 3),  # the queue must be stable first: more agents than erlangs
    ],
)
def test_agents_needed_in_simple_cases(
    traffic: float, share: float, within: float, needed: int
) -> None:
    assert (
        agents_for_service_level(
            traffic=traffic, handle_seconds=480, answer_within_seconds=within, share=share
        )
        == needed
    )


def test_the_fewest_agents_meet_the_target_and_one_fewer_does_not() -> None:
    needed = agents_for_service_level(
        traffic=7.3, handle_seconds=480, answer_within_seconds=600, share=0.8
    )
    assert service_level(needed, 7.3, 480, 600) >= 0.8
    assert service_level(needed - 1, 7.3, 480, 600) < 0.8


@pytest.mark.parametrize("share", [0.0, 1.0, 1.5, -0.1])
def test_a_share_outside_zero_and_one_is_refused(share: float) -> None:
    with pytest.raises(ValueError):
        agents_for_service_level(
            traffic=1.0, handle_seconds=480, answer_within_seconds=600, share=share
        )


# --- Properties --------------------------------------------------------------------------------

traffics = st.floats(min_value=0.0, max_value=200.0, allow_nan=False)
shares = st.floats(min_value=0.05, max_value=0.99)
handles = st.floats(min_value=30.0, max_value=3600.0)
withins = st.floats(min_value=0.0, max_value=3600.0)


@given(traffics, traffics, shares, handles, withins)
def test_more_traffic_never_needs_fewer_agents(
    first: float, second: float, share: float, handle: float, within: float
) -> None:
    low, high = sorted((first, second))
    needed = [
        agents_for_service_level(
            traffic=traffic, handle_seconds=handle, answer_within_seconds=within, share=share
        )
        for traffic in (low, high)
    ]
    assert needed[0] <= needed[1]


@given(traffics, shares, shares, handles, withins, withins)
def test_a_looser_target_never_needs_more_agents(
    traffic: float,
    first_share: float,
    second_share: float,
    handle: float,
    first_within: float,
    second_within: float,
) -> None:
    strict_share, loose_share = sorted((first_share, second_share), reverse=True)
    strict_within, loose_within = sorted((first_within, second_within))
    strict = agents_for_service_level(
        traffic=traffic, handle_seconds=handle, answer_within_seconds=strict_within,
        share=strict_share,
    )  # fmt: skip
    for share, within in ((loose_share, strict_within), (strict_share, loose_within)):
        assert (
            agents_for_service_level(
                traffic=traffic, handle_seconds=handle, answer_within_seconds=within, share=share
            )
            <= strict
        )


@given(traffics, shares, handles, withins)
def test_the_agents_needed_always_meet_the_target_with_a_stable_queue(
    traffic: float, share: float, handle: float, within: float
) -> None:
    needed = agents_for_service_level(
        traffic=traffic, handle_seconds=handle, answer_within_seconds=within, share=share
    )
    assert needed == 0 or (
        needed > traffic and service_level(needed, traffic, handle, within) >= share
    )


# --- The week's half-hours --------------------------------------------------------------------


def test_a_week_without_clock_changes_has_336_half_hours_on_the_wall_clock() -> None:
    half_hours = week_half_hours(date(2026, 3, 9), ROME)
    assert len(half_hours) == 7 * 48
    assert half_hours[0].local_start == datetime(2026, 3, 9, 0, 0, tzinfo=ROME)
    assert half_hours[0].start == datetime(2026, 3, 8, 23, 0, tzinfo=UTC)
    assert [h.slot_of_day for h in half_hours[:3]] == [0, 1, 2]
    assert half_hours[-1].local_start.strftime("%a %H:%M") == "Sun 23:30"


def test_the_week_europe_springs_forward_is_an_hour_short_on_its_sunday() -> None:
    # Europe changes its clocks on the last Sunday of March: 29 March 2026, 02:00 -> 03:00.
    half_hours = week_half_hours(date(2026, 3, 23), ROME)
    assert len(half_hours) == 7 * 48 - 2
    sunday = [h for h in half_hours if h.local_start.date() == date(2026, 3, 29)]
    assert len(sunday) == 46
    assert "02:00" not in {h.local_start.strftime("%H:%M") for h in sunday}
    assert all(
        b.start - a.start == timedelta(minutes=30) for a, b in itertools.pairwise(half_hours)
    )


def test_the_week_new_york_falls_back_repeats_an_hour_on_its_sunday() -> None:
    # The United States end summer time on the first Sunday of November: 1 November 2026.
    half_hours = week_half_hours(date(2026, 10, 26), NEW_YORK)
    sunday = [h for h in half_hours if h.local_start.date() == date(2026, 11, 1)]
    assert len(sunday) == 50
    repeated = [h for h in sunday if h.local_start.strftime("%H:%M") == "01:00"]
    assert len(repeated) == 2
    assert repeated[1].start - repeated[0].start == timedelta(hours=1)
    assert {h.slot_of_day for h in repeated} == {2}


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 25)))
def test_every_week_starts_on_monday_midnight_and_ends_at_the_next(day: date) -> None:
    monday = week_start(day)
    half_hours = week_half_hours(monday, NEW_YORK)
    assert monday.weekday() == 0 and monday <= day < monday + timedelta(days=7)
    assert half_hours[0].local_start.replace(tzinfo=None) == datetime.combine(
        monday, datetime.min.time()
    )
    assert half_hours[-1].end.astimezone(NEW_YORK).date() == monday + timedelta(days=7)
    assert len(half_hours) in (334, 336, 338)


def test_an_agent_counts_only_for_half_hours_wholly_on_shift() -> None:
    half_hours = week_half_hours(date(2026, 3, 9), ZoneInfo("UTC"))
    nine = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    openings = [(nine, nine + timedelta(hours=1, minutes=15))]
    covered = [h.start for h in half_hours_covered(openings, half_hours)]
    assert covered == [nine, nine + timedelta(minutes=30)]


def test_the_plan_sets_measured_arrivals_against_the_roster() -> None:
    half_hours = week_half_hours(date(2026, 3, 9), ROME)
    monday_nine = next(h for h in half_hours if h.local_start.hour == 9 and h.weekday == 0)
    cells = staffing_plan(
        queues=[SPANISH],
        half_hours=half_hours,
        # 15 callbacks in Monday's 09:00 half-hour on average: 30 an hour.
        arrivals={(SPANISH, 0, 18): 15.0},
        handle_seconds={SPANISH: 480.0},
        rostered={(SPANISH, monday_nine.start): 3},
        target=ServiceTarget(),
    )
    assert len(cells) == len(half_hours)
    cell = next(c for c in cells if c.half_hour == monday_nine)
    assert cell.arrivals_per_hour == 30.0
    assert cell.traffic == pytest.approx(4.0)
    expected = agents_for_service_level(
        traffic=4.0, handle_seconds=480, answer_within_seconds=600, share=0.8
    )
    assert (cell.needed, cell.rostered, cell.shortfall, cell.is_short) == (
        expected,
        3,
        expected - 3,
        True,
    )
    quiet = next(c for c in cells if c.half_hour != monday_nine)
    assert (quiet.needed, quiet.is_short) == (0, False)


def test_a_half_hour_is_named_by_its_wall_clock() -> None:
    half_hour = HalfHour(
        start=datetime(2026, 7, 7, 7, 30, tzinfo=UTC),
        local_start=datetime(2026, 7, 7, 7, 30, tzinfo=UTC).astimezone(ROME),
    )
    assert (half_hour.weekday, half_hour.slot_of_day) == (1, 19)
