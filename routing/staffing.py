"""The staffing plan: agents needed against agents rostered, per queue and half-hour.

Plain functions over plain facts (no ORM, no clock): the caller measures the arrivals and
handle times and reads the roster, and passes them in.

A week is cut into the half-hours of the supervisor's wall clock. Each half-hour is built by
stepping through UTC from local Monday 00:00 to the next local Monday 00:00, so the day the
clocks go forward has 46 half-hours and the day they go back has 50 (the repeated hour shows
twice, each with its own UTC start), never a half-hour too many or too few.

Arrival rates are measured per local weekday and half-hour of the day (0 = 00:00–00:30), as
the average over past weeks, so a rate belongs to "Tuesday 09:30" wherever it falls in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from routing.erlang import agents_for_service_level
from routing.policy import Team

HALF_HOUR = timedelta(minutes=30)
HALF_HOURS_PER_DAY = 48
DEFAULT_SHARE = 0.8
DEFAULT_ANSWER_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True, slots=True, order=True)
class StaffingQueue:
    """A callback queue as the planner sees it: one language, one team, every area."""

    language: str
    team: Team


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """ "``share`` of callbacks answered within ``answer_within``" (80 % in 10 minutes)."""

    share: float = DEFAULT_SHARE
    answer_within: timedelta = DEFAULT_ANSWER_WITHIN


@dataclass(frozen=True, slots=True)
class HalfHour:
    """One half-hour of the planned week: its UTC start and the wall clock it shows."""

    start: datetime  # UTC
    local_start: datetime  # in the planner's zone

    @property
    def end(self) -> datetime:
        return self.start + HALF_HOUR

    @property
    def weekday(self) -> int:
        return self.local_start.weekday()

    @property
    def slot_of_day(self) -> int:
        """0 for 00:00–00:30 on the wall clock, up to 47 for 23:30–24:00."""
        return self.local_start.hour * 2 + self.local_start.minute // 30


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_half_hours(monday: date, zone: ZoneInfo) -> list[HalfHour]:
    """Every half-hour of the week that starts on ``monday`` at 00:00 in ``zone``."""
    start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone).astimezone(UTC)
    half_hours = []
    moment = start
    while moment < end:
        half_hours.append(HalfHour(start=moment, local_start=moment.astimezone(zone)))
        moment += HALF_HOUR
    return half_hours


@dataclass(frozen=True, slots=True)
class StaffingCell:
    """One queue in one half-hour: the load, the agents it needs and those rostered."""

    queue: StaffingQueue
    half_hour: HalfHour
    arrivals_per_hour: float
    handle_seconds: float
    needed: int
    rostered: int

    @property
    def traffic(self) -> float:
        """Erlangs: the agents kept busy on average."""
        return self.arrivals_per_hour * self.handle_seconds / 3600.0

    @property
    def shortfall(self) -> int:
        return max(0, self.needed - self.rostered)

    @property
    def is_short(self) -> bool:
        return self.needed > self.rostered


# Arrivals per half-hour of the day, averaged over the weeks measured:
# (queue, local weekday, half-hour of the day) -> requests per half-hour.
ArrivalRates = Mapping[tuple[StaffingQueue, int, int], float]


def staffing_plan(
    *,
    queues: Sequence[StaffingQueue],
    half_hours: Sequence[HalfHour],
    arrivals: ArrivalRates,
    handle_seconds: Mapping[StaffingQueue, float],
    rostered: Mapping[tuple[StaffingQueue, datetime], int],
    target: ServiceTarget,
) -> list[StaffingCell]:
    """Every queue's half-hours in order: agents needed (Erlang C) against agents rostered.

    ``rostered`` counts the agents on shift for a whole half-hour, keyed by its UTC start.
    """
    answer_within = target.answer_within.total_seconds()
    cells = []
    for queue in queues:
        handle = handle_seconds[queue]
        for half_hour in half_hours:
            per_half_hour = arrivals.get((queue, half_hour.weekday, half_hour.slot_of_day), 0.0)
            per_hour = per_half_hour * 2
            cells.append(
                StaffingCell(
                    queue=queue,
                    half_hour=half_hour,
                    arrivals_per_hour=per_hour,
                    handle_seconds=handle,
                    needed=agents_for_service_level(
                        traffic=per_hour * handle / 3600.0,
                        handle_seconds=handle,
                        answer_within_seconds=answer_within,
                        share=target.share,
                    ),
                    rostered=rostered.get((queue, half_hour.start), 0),
                )
            )
    return cells


def half_hours_covered(
    openings: Sequence[tuple[datetime, datetime]], half_hours: Sequence[HalfHour]
) -> Iterator[HalfHour]:
    """The half-hours wholly inside one of the sorted, merged ``openings``."""
    index = 0
    for half_hour in half_hours:
        while index < len(openings) and openings[index][1] < half_hour.end:
            index += 1
        if index < len(openings) and openings[index][0] <= half_hour.start:
            yield half_hour
