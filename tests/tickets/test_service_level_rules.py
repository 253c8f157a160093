"""Service-level targets: the due-time rules, as tables and as properties (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.hours import (
    CET_OFFICE_HOURS,
    WORKING_WEEK_DENVER,
    Schedule,
    open_intervals,
    open_time_end,
)
from routing.policy import Team, default_service_hours
from tickets.service_levels import (
    DEFAULT_TARGETS,
    DueTimes,
    ServiceLevelState,
    TargetTerms,
    queue_hours,
    service_level_state,
    ticket_due_times,
)

BERLIN = ZoneInfo("Europe/Berlin")
DENVER = ZoneInfo("America/Denver")
TOKYO = ZoneInfo("Asia/Tokyo")
HOURS = default_service_hours()
H = timedelta(hours=1)


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def business(first: timedelta, resolution: timedelta) -> TargetTerms:
    return TargetTerms(first, resolution, business_hours_only=True)


@pytest.mark.parametrize(
    ("case", "created", "terms", "channel", "team", "language", "expected"),
    [
        (
            "a calendar target runs through the night",
            at(UTC, 2026, 12, 4, 22, 0),
            TargetTerms(H, 8 * H, business_hours_only=False),
            "phone",
            Team.GENERAL,
            "de",
            DueTimes(at(UTC, 2026, 12, 4, 23, 0), at(UTC, 2026, 12, 5, 6, 0)),
        ),
        (
            "English email is staffed all week: business hours are every hour",
            at(UTC, 2026, 12, 5, 10, 0),
            business(4 * H, 40 * H),
            "email",
            Team.GENERAL,
            "en",
            DueTimes(at(UTC, 2026, 12, 5, 14, 0), at(UTC, 2026, 12, 7, 2, 0)),
        ),
        (
            "German email stops at 16:30 on Friday and starts again on Monday at 08:00",
            at(BERLIN, 2026, 12, 4, 15, 30),
            business(4 * H, 17 * H),
            "email",
            Team.GENERAL,
            "de",
            DueTimes(at(BERLIN, 2026, 12, 7, 11, 0), at(BERLIN, 2026, 12, 8, 15, 30)),
        ),
        (
            "across Europe's spring change: Monday 08:00 is summer time (UTC+2)",
            at(BERLIN, 2026, 3, 27, 16, 0),
            business(4 * H, 9 * H),
            "email",
            Team.GENERAL,
            "fr",
            DueTimes(at(UTC, 2026, 3, 30, 9, 30), at(UTC, 2026, 3, 30, 14, 30)),
        ),
        (
            "across Europe's autumn change: Monday 08:00 is winter time (UTC+1)",
            at(BERLIN, 2026, 10, 23, 16, 0),
            business(4 * H, 4 * H),
            "email",
            Team.GENERAL,
            "it",
            DueTimes(at(UTC, 2026, 10, 26, 10, 30), at(UTC, 2026, 10, 26, 10, 30)),
        ),
        (
            "Enterprise email waits for Sunday 17:00 Denver, across the US spring change",
            at(DENVER, 2026, 3, 6, 16, 30),
            business(H, 16 * H),
            "email",
            Team.ENTERPRISE,
            "en",
            DueTimes(at(UTC, 2026, 3, 8, 23, 30), at(UTC, 2026, 3, 9, 14, 30)),
        ),
        (
            "Japanese is staffed 09:00 to 17:00 in Tokyo",
            at(TOKYO, 2026, 12, 4, 16, 0),
            business(2 * H, 8 * H),
            "email",
            Team.GENERAL,
            "ja",
            DueTimes(at(TOKYO, 2026, 12, 7, 10, 0), at(TOKYO, 2026, 12, 7, 16, 0)),
        ),
        (
            "a web form is timed as email; Account Services works the general team's hours",
            at(BERLIN, 2026, 12, 5, 12, 0),
            business(H, 2 * H),
            "web",
            Team.ACCOUNT_SERVICES,
            "nl",
            DueTimes(at(BERLIN, 2026, 12, 7, 9, 0), at(BERLIN, 2026, 12, 7, 10, 0)),
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else None,
)
def test_due_times(
    case: str,
    created: datetime,
    terms: TargetTerms,
    channel: str,
    team: Team,
    language: str,
    expected: DueTimes,
) -> None:
    hours = queue_hours(HOURS, channel=channel, team=team, language=language)
    assert ticket_due_times(created_at=created, terms=terms, hours=hours) == expected, case


def test_a_queue_whose_hours_never_open_has_no_due_time() -> None:
    never = [Schedule()]
    due = ticket_due_times(
        created_at=at(UTC, 2026, 12, 4, 10, 0), terms=business(H, 2 * H), hours=never
    )
    assert due == DueTimes(None, None)


def test_a_naive_creation_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        ticket_due_times(
            created_at=datetime(2026, 12, 4, 10, 0),  # noqa: DTZ001 - the point of the test
            terms=business(H, H),
            hours=[],
        )


@pytest.mark.parametrize(
    ("due", "done", "now", "expected"),
    [
        (None, None, 10, None),
        (12, None, 10, ServiceLevelState.ON_TRACK),
        (12, None, 11.5, ServiceLevelState.DUE_SOON),
        (12, None, 12, ServiceLevelState.DUE_SOON),
        (12, None, 12.1, ServiceLevelState.BREACHED),
        (12, 11, 13, ServiceLevelState.MET),
        (12, 12, 13, ServiceLevelState.MET),
        (12, 12.5, 13, ServiceLevelState.BREACHED),
        (12, 12.5, 12.6, ServiceLevelState.BREACHED),
    ],
)
def test_the_state_of_a_due_time(
    due: float | None, done: float | None, now: float, expected: ServiceLevelState | None
) -> None:
    def hour(value: float | None) -> datetime | None:
        return None if value is None else at(UTC, 2026, 12, 4) + value * H

    moment = hour(now)
    assert moment is not None
    assert service_level_state(due_at=hour(due), done_at=hour(done), now=moment) == expected


def test_the_defaults_are_tighter_for_enterprise_than_standard_than_self_service() -> None:
    for channel in ("chat", "email", "phone", "conference", "web"):
        enterprise, standard, self_service = (
            DEFAULT_TARGETS[(tier, channel)] for tier in ("enterprise", "standard", "self_service")
        )
        assert enterprise.first_response < standard.first_response < self_service.first_response
        assert enterprise.resolution < standard.resolution < self_service.resolution
        for terms in (enterprise, standard, self_service):
            assert terms.first_response <= terms.resolution


# --- Properties ------------------------------------------------------------------------------

# Weeks around both daylight-saving changes of 2026, on both sides of the Atlantic.
around_clock_changes = st.one_of(
    st.datetimes(min_value=datetime(2026, 3, 1), max_value=datetime(2026, 4, 6)),  # noqa: DTZ001
    st.datetimes(min_value=datetime(2026, 10, 20), max_value=datetime(2026, 11, 8)),  # noqa: DTZ001
).map(lambda naive: naive.replace(tzinfo=UTC))
durations = st.integers(min_value=0, max_value=60 * 60).map(lambda minutes: minutes * 60 * 1.0)
schedules = st.sampled_from(
    [
        [CET_OFFICE_HOURS],
        [WORKING_WEEK_DENVER],
        queue_hours(HOURS, channel="email", team=Team.ENTERPRISE, language="es"),
        queue_hours(HOURS, channel="phone", team=Team.GENERAL, language="ja"),
    ]
)


def open_time_between(hours: list[Schedule], start: datetime, end: datetime) -> timedelta:
    """How long every schedule was open together between two moments, by the interval maths."""
    common: list[tuple[datetime, datetime]] | None = None
    for schedule in hours:
        openings = open_intervals(schedule, start, end)
        if common is None:
            common = openings
        else:
            common = [
                (max(a, c), min(b, d))
                for a, b in common
                for c, d in openings
                if max(a, c) < min(b, d)
            ]
    return sum(
        (min(b, end) - max(a, start) for a, b in common or [] if min(b, end) > max(a, start)),
        timedelta(0),
    )


@given(start=around_clock_changes, seconds=durations, hours=schedules)
def test_a_business_hours_clock_runs_exactly_the_target_in_open_time(
    start: datetime, seconds: float, hours: list[Schedule]
) -> None:
    target = timedelta(seconds=seconds)
    due = open_time_end(hours, start, target)
    assert due is not None
    assert due >= start + target  # never sooner than the calendar
    assert open_time_between(hours, start, due) == target


@given(start=around_clock_changes, first=durations, extra=durations, hours=schedules)
def test_a_longer_target_is_never_due_sooner(
    start: datetime, first: float, extra: float, hours: list[Schedule]
) -> None:
    terms = business(timedelta(seconds=first), timedelta(seconds=first + extra))
    due = ticket_due_times(created_at=start, terms=terms, hours=hours)
    assert due.first_response_due_at is not None and due.resolution_due_at is not None
    assert due.first_response_due_at <= due.resolution_due_at


@given(start=around_clock_changes, seconds=durations)
def test_a_calendar_target_is_the_same_length_in_every_zone(
    start: datetime, seconds: float
) -> None:
    target = timedelta(seconds=seconds)
    terms = TargetTerms(target, 2 * target, business_hours_only=False)
    due = ticket_due_times(created_at=start.astimezone(BERLIN), terms=terms, hours=[])
    assert due.first_response_due_at is not None
    assert due.first_response_due_at - start == target
