"""Opening hours in real time zones: the clock's edges, clock changes, slots, properties."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from routing.hours import (
    ALL_WEEK,
    DEFAULT_CHANNEL_HOURS,
    DEFAULT_LANGUAGE_HOURS,
    FRIDAY,
    MIDNIGHT,
    MONDAY,
    SATURDAY,
    SUNDAY,
    WORKING_WEEK_DENVER,
    Schedule,
    WeeklyWindow,
    closes_at,
    every_day,
    free_slot_starts,
    is_open,
    next_opening,
    next_opening_in_all,
    open_intervals,
    span,
    weekdays,
)
from tests.routing.helpers import BERLIN, DENVER, NEW_YORK, ROME, TOKYO, at

CHAT = DEFAULT_CHANNEL_HOURS[("chat", "general")]
ENTERPRISE_PHONE = DEFAULT_CHANNEL_HOURS[("phone", "enterprise")]
CONFERENCE = DEFAULT_CHANNEL_HOURS[("conference", "enterprise")]
ITALIAN = DEFAULT_LANGUAGE_HOURS["it"]
SPANISH = DEFAULT_LANGUAGE_HOURS["es"]
JAPANESE = DEFAULT_LANGUAGE_HOURS["ja"]
ONE_MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)

# Fridays and the Sundays after them, in Denver's winter and summer, and across the clock
# changes of 2026 (US: 8 March and 1 November; EU: 29 March and 25 October).
FRIDAYS = [(2026, 1, 16), (2026, 7, 17), (2026, 3, 6), (2026, 3, 27), (2026, 10, 30)]
SUNDAYS = [(2026, 1, 18), (2026, 7, 19), (2026, 3, 8), (2026, 3, 29), (2026, 11, 1)]


# --- The working week in Denver (chat, Enterprise email and phone) -------------------------


@pytest.mark.parametrize("schedule", [CHAT, ENTERPRISE_PHONE], ids=["chat", "enterprise"])
@pytest.mark.parametrize("friday", FRIDAYS)
def test_the_working_week_is_open_at_friday_1659_and_closed_at_1700_in_denver(
    schedule: Schedule, friday: tuple[int, int, int]
) -> None:
    assert is_open(schedule, at(DENVER, *friday, 16, 59))
    assert not is_open(schedule, at(DENVER, *friday, 17, 0))


@pytest.mark.parametrize("schedule", [CHAT, ENTERPRISE_PHONE], ids=["chat", "enterprise"])
@pytest.mark.parametrize("sunday", SUNDAYS)
def test_the_working_week_is_closed_at_sunday_1659_and_open_at_1700_in_denver(
    schedule: Schedule, sunday: tuple[int, int, int]
) -> None:
    assert not is_open(schedule, at(DENVER, *sunday, 16, 59))
    assert is_open(schedule, at(DENVER, *sunday, 17, 0))


@pytest.mark.parametrize(
    ("sunday", "opens_utc"),
    [
        ((2026, 1, 18), datetime(2026, 1, 19, 0, 0, tzinfo=UTC)),  # MST, UTC-7
        ((2026, 7, 19), datetime(2026, 7, 19, 23, 0, tzinfo=UTC)),  # MDT, UTC-6
        ((2026, 3, 1), datetime(2026, 3, 2, 0, 0, tzinfo=UTC)),  # the Sunday before the change
        ((2026, 3, 8), datetime(2026, 3, 8, 23, 0, tzinfo=UTC)),  # the day the US changes
        ((2026, 11, 1), datetime(2026, 11, 2, 0, 0, tzinfo=UTC)),  # the day it changes back
    ],
)
def test_sunday_1700_in_denver_is_a_different_utc_moment_in_summer_and_winter(
    sunday: tuple[int, int, int], opens_utc: datetime
) -> None:
    saturday_noon = at(DENVER, *sunday, 12) - timedelta(days=1)
    assert next_opening(CHAT, saturday_noon) == opens_utc
    assert at(DENVER, *sunday, 17) == opens_utc


def test_the_working_week_is_closed_all_saturday() -> None:
    for hour in range(24):
        assert not is_open(CHAT, at(DENVER, 2026, 7, 18, hour, 30))


def test_the_enterprise_week_closes_on_friday_at_1700_denver() -> None:
    wednesday = at(DENVER, 2026, 3, 11, 9)
    assert closes_at(ENTERPRISE_PHONE, wednesday) == at(DENVER, 2026, 3, 13, 17)


def test_round_the_clock_hours_never_close() -> None:
    moment = at(DENVER, 2026, 3, 8, 2, 30)
    assert is_open(ALL_WEEK, moment)
    assert closes_at(ALL_WEEK, moment) is None
    assert next_opening(ALL_WEEK, moment) == moment


# --- Language hours (R-LANG-HOURS) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "closes_utc"),
    [
        ((2026, 3, 6), datetime(2026, 3, 6, 15, 30, tzinfo=UTC)),  # both sides on winter time
        ((2026, 3, 9), datetime(2026, 3, 9, 15, 30, tzinfo=UTC)),  # US changed, Europe not yet
        ((2026, 3, 30), datetime(2026, 3, 30, 14, 30, tzinfo=UTC)),  # Europe on summer time
        ((2026, 10, 26), datetime(2026, 10, 26, 15, 30, tzinfo=UTC)),  # Europe back, US not
        ((2026, 11, 2), datetime(2026, 11, 2, 15, 30, tzinfo=UTC)),  # both back
    ],
)
def test_italian_closes_at_1630_central_european_time_whatever_the_season(
    day: tuple[int, int, int], closes_utc: datetime
) -> None:
    assert is_open(ITALIAN, at(ROME, *day, 16, 29))
    assert not is_open(ITALIAN, at(ROME, *day, 16, 30))
    assert closes_at(ITALIAN, at(ROME, *day, 12)) == closes_utc


def test_italian_opens_at_0800_on_the_monday_after_europe_changes_its_clocks() -> None:
    friday_evening = at(ROME, 2026, 3, 27, 16, 30)
    assert next_opening(ITALIAN, friday_evening) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("day", [(2026, 3, 6), (2026, 3, 9), (2026, 3, 30), (2026, 11, 2)])
def test_japanese_closes_at_1700_tokyo_time_which_is_always_0800_utc(
    day: tuple[int, int, int],
) -> None:
    assert is_open(JAPANESE, at(TOKYO, *day, 16, 59))
    assert not is_open(JAPANESE, at(TOKYO, *day, 17, 0))
    assert at(TOKYO, *day, 17) == datetime(*day, 8, 0, tzinfo=UTC)


def test_japanese_opens_at_0900_tokyo_on_monday_after_a_weekend() -> None:
    assert next_opening(JAPANESE, at(TOKYO, 2026, 3, 6, 17)) == at(TOKYO, 2026, 3, 9, 9)


def test_spanish_runs_from_0800_berlin_to_1700_new_york_without_a_gap() -> None:
    # 9 March 2026: New York is on summer time and Berlin is not: 07:00 to 21:00 UTC.
    monday = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert open_intervals(SPANISH, monday, monday) == [
        (datetime(2026, 3, 9, 7, 0, tzinfo=UTC), datetime(2026, 3, 9, 21, 0, tzinfo=UTC))
    ]
    assert is_open(SPANISH, at(NEW_YORK, 2026, 3, 9, 16, 59))
    assert not is_open(SPANISH, at(NEW_YORK, 2026, 3, 9, 17, 0))


def test_spanish_closes_an_hour_later_in_utc_before_the_us_changes_its_clocks() -> None:
    assert closes_at(SPANISH, at(BERLIN, 2026, 3, 2, 9)) == datetime(2026, 3, 2, 22, tzinfo=UTC)
    assert closes_at(SPANISH, at(BERLIN, 2026, 3, 9, 9)) == datetime(2026, 3, 9, 21, tzinfo=UTC)


def test_spanish_is_closed_between_new_york_evening_and_berlin_morning() -> None:
    assert not is_open(SPANISH, at(BERLIN, 2026, 3, 10, 6, 0))
    assert next_opening(SPANISH, at(BERLIN, 2026, 3, 10, 6, 0)) == at(BERLIN, 2026, 3, 10, 8)


def test_every_language_but_english_has_default_hours() -> None:
    assert set(DEFAULT_LANGUAGE_HOURS) == {"es", "pt", "de", "fr", "it", "nl", "ja"}
    assert DEFAULT_LANGUAGE_HOURS["pt"] == SPANISH
    for language in ("de", "fr", "nl"):
        assert DEFAULT_LANGUAGE_HOURS[language] == ITALIAN


# --- Clock changes inside a window -----------------------------------------------------------


def test_a_window_on_the_night_the_clocks_go_forward_is_an_hour_shorter() -> None:
    night = WeeklyWindow(SUNDAY, time(1), time(4), DENVER)
    ((start, end),) = open_intervals((night,), at(DENVER, 2026, 3, 8, 0), at(DENVER, 2026, 3, 8, 5))
    assert end - start == timedelta(hours=2)


def test_a_window_on_the_night_the_clocks_go_back_is_an_hour_longer() -> None:
    night = WeeklyWindow(SUNDAY, time(0, 30), time(3), DENVER)
    start_moment = at(DENVER, 2026, 11, 1, 0)
    ((start, end),) = open_intervals((night,), start_moment, start_moment + timedelta(hours=5))
    assert end - start == timedelta(hours=3, minutes=30)


def test_a_window_closing_at_midnight_runs_to_the_end_of_its_day() -> None:
    evening = WeeklyWindow(FRIDAY, time(20), MIDNIGHT, DENVER)
    assert is_open((evening,), at(DENVER, 2026, 3, 13, 23, 59))
    assert not is_open((evening,), at(DENVER, 2026, 3, 14, 0, 0))


# --- Building schedules ------------------------------------------------------------------------


def test_the_working_week_is_one_row_a_day_from_sunday_evening_to_friday_afternoon() -> None:
    assert [(w.weekday, w.opens, w.closes) for w in WORKING_WEEK_DENVER] == [
        (SUNDAY, time(17), MIDNIGHT),
        (MONDAY, MIDNIGHT, MIDNIGHT),
        (1, MIDNIGHT, MIDNIGHT),
        (2, MIDNIGHT, MIDNIGHT),
        (3, MIDNIGHT, MIDNIGHT),
        (FRIDAY, MIDNIGHT, time(17)),
    ]


def test_a_span_inside_one_day_is_one_row() -> None:
    assert list(span(MONDAY, time(8), MONDAY, time(17), DENVER)) == [
        WeeklyWindow(MONDAY, time(8), time(17), DENVER)
    ]


def test_a_span_ending_at_midnight_stops_at_the_end_of_the_day_before() -> None:
    rows = span(SATURDAY, time(9), MONDAY, MIDNIGHT, DENVER)
    assert [(w.weekday, w.opens, w.closes) for w in rows] == [
        (SATURDAY, time(9), MIDNIGHT),
        (SUNDAY, MIDNIGHT, MIDNIGHT),
    ]


def test_weekdays_are_monday_to_friday() -> None:
    assert [w.weekday for w in weekdays(time(8), time(17), DENVER)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("weekday", "opens", "closes", "message"),
    [
        (7, time(8), time(9), "weekday"),
        (0, time(9), time(8), "after opens"),
        (0, time(9), time(9), "after opens"),
        (0, time(8, tzinfo=UTC), time(9), "wall-clock"),
    ],
)
def test_a_window_that_makes_no_sense_is_refused(
    weekday: int, opens: time, closes: time, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WeeklyWindow(weekday, opens, closes, DENVER)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open(CHAT, datetime(2026, 3, 9, 12))  # noqa: DTZ001


def test_schedules_with_the_same_windows_are_equal_and_hash_alike() -> None:
    first = every_day(time(8), time(9), DENVER)
    second = Schedule(list(first))
    assert first == second
    assert hash(first) == hash(second)
    assert first + () == first


# --- Conference-call slots -------------------------------------------------------------------


def test_a_weekday_has_eighteen_half_hour_slots_from_0800_to_1630_denver() -> None:
    monday = at(DENVER, 2026, 3, 9, 0)
    slots = free_slot_starts(CONFERENCE, start=monday, end=monday + timedelta(days=1))
    assert len(slots) == 18
    assert slots[0] == at(DENVER, 2026, 3, 9, 8)
    assert slots[-1] == at(DENVER, 2026, 3, 9, 16, 30)


def test_a_booked_slot_is_not_free() -> None:
    monday = at(DENVER, 2026, 3, 9, 0)
    booked = at(DENVER, 2026, 3, 9, 10)
    slots = free_slot_starts(
        CONFERENCE, start=monday, end=monday + timedelta(days=1), booked=[booked]
    )
    assert booked not in slots
    assert len(slots) == 17


def test_slots_keep_the_half_hour_grid_when_the_search_starts_mid_slot() -> None:
    start = at(DENVER, 2026, 3, 9, 8, 10)
    slots = free_slot_starts(CONFERENCE, start=start, end=start + timedelta(hours=1))
    assert slots == [at(DENVER, 2026, 3, 9, 8, 30), at(DENVER, 2026, 3, 9, 9, 0)]


def test_there_are_no_slots_at_the_weekend() -> None:
    saturday = at(DENVER, 2026, 3, 14, 0)
    assert free_slot_starts(CONFERENCE, start=saturday, end=saturday + timedelta(days=2)) == []


def test_a_slot_stays_free_while_another_specialist_is_on_shift() -> None:
    monday = at(DENVER, 2026, 3, 9, 0)
    day_shift = weekdays(time(8), time(17), DENVER)
    morning_shift = weekdays(time(8), time(9), DENVER)
    eight, ten = at(DENVER, 2026, 3, 9, 8), at(DENVER, 2026, 3, 9, 10)
    slots = free_slot_starts(
        CONFERENCE,
        start=monday,
        end=monday + timedelta(days=1),
        booked=[eight, ten],
        hosts=[day_shift, morning_shift],
    )
    assert eight in slots  # two specialists at 08:00, one call booked
    assert ten not in slots  # one specialist at 10:00, one call booked
    assert at(DENVER, 2026, 3, 9, 8, 30) in slots


def test_without_any_specialist_no_slot_is_free() -> None:
    monday = at(DENVER, 2026, 3, 9, 0)
    assert (
        free_slot_starts(CONFERENCE, start=monday, end=monday + timedelta(days=1), hosts=[]) == []
    )


# --- Properties -----------------------------------------------------------------------------------

ZONES = [
    ZoneInfo(name)
    for name in (
        "America/Denver",
        "America/New_York",
        "Europe/Berlin",
        "Europe/London",
        "Asia/Tokyo",
        "Australia/Sydney",
        "UTC",
    )
]
QUARTERS = [time(hour, minute) for hour in range(24) for minute in (0, 15, 30, 45)]
moments = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@st.composite
def windows(draw: st.DrawFn, boundaries: list[time] = QUARTERS) -> WeeklyWindow:
    opens = draw(st.sampled_from(boundaries))
    closes = draw(st.sampled_from([MIDNIGHT, *(b for b in boundaries if b > opens)]))
    return WeeklyWindow(draw(st.integers(0, 6)), opens, closes, draw(st.sampled_from(ZONES)))


schedules = st.lists(windows(), min_size=1, max_size=6).map(Schedule)


@given(schedule=schedules, now=moments)
def test_the_next_opening_is_never_in_the_past_and_is_open(
    schedule: Schedule, now: datetime
) -> None:
    opening = next_opening(schedule, now)
    assert opening is not None
    assert opening >= now
    assert is_open(schedule, opening)
    if not is_open(schedule, now):
        assert opening > now
        assert not is_open(schedule, opening - TICK)


@given(schedule=schedules, now=moments)
def test_an_opening_closes_when_closes_at_says(schedule: Schedule, now: datetime) -> None:
    opening = next_opening(schedule, now)
    assert opening is not None
    closing = closes_at(schedule, opening)
    if closing is not None:
        assert closing > opening
        assert is_open(schedule, closing - TICK)
        assert not is_open(schedule, closing)


# Wall-clock agreement holds away from the hours in which these zones change their clocks.
CALM_BOUNDARIES = [b for b in QUARTERS if b == MIDNIGHT or b >= time(4)]


@given(window=windows(CALM_BOUNDARIES), now=moments)
def test_is_open_agrees_with_the_wall_clock_in_the_windows_zone(
    window: WeeklyWindow, now: datetime
) -> None:
    local = now.astimezone(window.zone)
    assume(not time(0, 59) <= local.time() <= time(4))
    closes = window.closes if window.closes != MIDNIGHT else None
    by_wall_clock = (
        local.weekday() == window.weekday
        and window.opens <= local.time().replace(tzinfo=None)
        and (closes is None or local.time() < closes)
    )
    assert is_open((window,), now) == by_wall_clock


@given(first=schedules, second=schedules, now=moments)
def test_a_common_opening_is_open_in_every_schedule(
    first: Schedule, second: Schedule, now: datetime
) -> None:
    opening = next_opening_in_all([first, second], now)
    if opening is not None:
        assert opening >= now
        assert is_open(first, opening)
        assert is_open(second, opening)


@given(now=moments)
def test_chat_is_open_exactly_when_it_is_a_weekday_somewhere_between_sunday_and_friday_1700_denver(
    now: datetime,
) -> None:
    local = now.astimezone(DENVER)
    weekday, clock = local.weekday(), local.time()
    expected = (
        weekday in range(MONDAY, FRIDAY)
        or (weekday == FRIDAY and clock < time(17))
        or (weekday == SUNDAY and clock >= time(17))
    )
    assert is_open(CHAT, now) == expected
