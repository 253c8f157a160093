"""Weekly opening hours in real time zones (R-METHODS, R-LANG-HOURS, R-ENT-HOURS).

A ``WeeklyWindow`` is one day's opening in a named zone: "Tuesday 08:00 to 16:30,
Europe/Berlin". A schedule is a tuple of them; together they open whatever any of them
opens. Every moment is turned into UTC by building the local time on its own date
(``datetime.combine(day, opens, tzinfo=zone)``), never by adding a fixed offset, so the
weeks in which Europe and the United States have changed their clocks and the other has
not come out right.

A window never runs past midnight: ``closes == 00:00`` means midnight at the end of its
day, and a longer span ("Sunday 17:00 to Friday 17:00") is several rows that touch, which
``span()`` builds and the interval maths merges back into one opening.

The spec's defaults are at the bottom. "CET" is Europe's central time with its summer
time, computed in Europe/Berlin. **"US business hours" is taken to mean Monday to Friday,
08:00 to 17:00 America/New_York** (US Eastern time with its daylight saving): the hours a
Spanish- or Portuguese-speaking customer on the US East Coast expects, and together with
the European window they give one long weekday of cover (08:00 Berlin to 17:00 New York).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
MIDNIGHT = time(0)
ONE_DAY = timedelta(days=1)
CONFERENCE_SLOT = timedelta(minutes=30)

# How far ahead an opening is looked for. A single weekly schedule opens within a week;
# the intersection of schedules in zones with different clock changes may need longer.
_HORIZONS = (timedelta(days=3), timedelta(days=9), timedelta(days=62))

Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """Open every week on ``weekday`` (0 = Monday) from ``opens`` until ``closes``."""

    weekday: int
    opens: time
    closes: time
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opens and closes are wall-clock times: the zone is separate")
        if self.closes != MIDNIGHT and self.closes <= self.opens:
            raise ValueError("closes must be after opens (00:00 means the end of the day)")


class Schedule:
    """An immutable set of weekly windows, indexed by zone and weekday for quick look-ups.

    Iterates, adds (``+``), compares and hashes like the tuple of its windows.
    """

    __slots__ = ("_by_zone", "_hash", "windows")

    windows: tuple[WeeklyWindow, ...]
    _by_zone: tuple[tuple[ZoneInfo, tuple[tuple[WeeklyWindow, ...], ...]], ...]
    _hash: int

    def __init__(self, windows: Iterable[WeeklyWindow] = ()) -> None:
        self.windows = tuple(windows)
        # Schedules are cache keys of the interval maths: hash once.
        self._hash = hash(self.windows)
        by_zone: dict[ZoneInfo, list[list[WeeklyWindow]]] = {}
        for window in self.windows:
            by_zone.setdefault(window.zone, [[] for _ in range(7)])[window.weekday].append(window)
        self._by_zone = tuple(
            (zone, tuple(tuple(day) for day in days)) for zone, days in by_zone.items()
        )

    def __iter__(self) -> Iterator[WeeklyWindow]:
        return iter(self.windows)

    def __len__(self) -> int:
        return len(self.windows)

    def __bool__(self) -> bool:
        return bool(self.windows)

    def __add__(self, other: Iterable[WeeklyWindow]) -> Schedule:
        return Schedule((*self.windows, *other))

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, Schedule)
            and self._hash == other._hash
            and self.windows == other.windows
        )

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Schedule({list(self.windows)!r})"


def schedule_shared(windows: Iterable[WeeklyWindow]) -> Schedule:
    """The schedule of these windows, the same object every time this process asks for it.

    The interval maths caches its results by schedule. A schedule equal to a cached one
    but built anew (the configuration is read again after every change and every minute)
    would be compared window by window on every look-up, for as long as the process lives;
    the same object is recognised at once."""
    return _schedule_of(tuple(windows))


@lru_cache(maxsize=4096)
def _schedule_of(windows: tuple[WeeklyWindow, ...]) -> Schedule:
    return Schedule(windows)


def as_schedule(windows: Iterable[WeeklyWindow]) -> Schedule:
    return windows if isinstance(windows, Schedule) else Schedule(windows)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")


@lru_cache(maxsize=8192)
def interval_on(window: WeeklyWindow, day: date) -> Interval:
    """The window's opening on ``day`` (which must be its weekday), in UTC.

    A wall time that does not exist on that date (inside a spring-forward gap) resolves as
    zoneinfo does with ``fold=0``; the interval may then be shorter, or empty.
    """
    start = datetime.combine(day, window.opens, tzinfo=window.zone).astimezone(UTC)
    end_day = day + ONE_DAY if window.closes == MIDNIGHT else day
    end = datetime.combine(end_day, window.closes, tzinfo=window.zone).astimezone(UTC)
    return start, end


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


@lru_cache(maxsize=8192)
def _openings_on_days(schedule: Schedule, first: date, days: int) -> tuple[Interval, ...]:
    """Merged openings (UTC) that overlap the UTC days ``first`` to ``first + days``.

    Cached: the offers for one request, and the requests of one day, ask for the same
    schedules over the same days again and again.
    """
    start = datetime.combine(first, MIDNIGHT, tzinfo=UTC)
    end = start + days * ONE_DAY
    found: list[Interval] = []
    for zone, by_weekday in schedule._by_zone:
        # From the day before: an opening that began yesterday may still be running.
        day = start.astimezone(zone).date() - ONE_DAY
        last = end.astimezone(zone).date()
        while day <= last:
            for window in by_weekday[day.weekday()]:
                opening = interval_on(window, day)
                if opening[1] > start and opening[0] < end:
                    found.append(opening)
            day += ONE_DAY
    return tuple(_merge(found))


def clear_caches() -> None:
    """Forget the cached openings (for benchmarks that time the cold path)."""
    interval_on.cache_clear()
    _openings_on_days.cache_clear()


def open_intervals(
    windows: Iterable[WeeklyWindow], start: datetime, end: datetime
) -> list[Interval]:
    """The merged openings (UTC, sorted) that overlap ``[start, end]``."""
    _require_aware(start)
    _require_aware(end)
    first = start.astimezone(UTC).date()
    days = (end.astimezone(UTC).date() - first).days + 1
    return [
        opening
        for opening in _openings_on_days(as_schedule(windows), first, days)
        if opening[1] > start and opening[0] <= end
    ]


def intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """Where two sorted, merged interval lists are both open."""
    result: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            result.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return result


def is_open(windows: Iterable[WeeklyWindow], now: datetime) -> bool:
    """Whether any window is open at ``now`` (start included, end excluded)."""
    _require_aware(now)
    for opening_start, opening_end in _openings_on_days(
        as_schedule(windows), now.astimezone(UTC).date(), 1
    ):
        if opening_start > now:
            break
        if now < opening_end:
            return True
    return False


def is_open_in_all(schedules: Iterable[Iterable[WeeklyWindow]], now: datetime) -> bool:
    return all(is_open(windows, now) for windows in schedules)


def _common_openings(
    schedules: Sequence[Iterable[WeeklyWindow]], start: datetime, end: datetime
) -> list[Interval]:
    common: list[Interval] | None = None
    for windows in schedules:
        openings = open_intervals(windows, start, end)
        common = openings if common is None else intersect(common, openings)
        if not common:
            return []
    return common or []


def next_opening_in_all(
    schedules: Sequence[Iterable[WeeklyWindow]], now: datetime
) -> datetime | None:
    """The first moment at or after ``now`` when every schedule is open.

    ``now`` itself when they all are; None when they never are together within two months.
    """
    _require_aware(now)
    if not schedules:
        return now
    for horizon in _HORIZONS:
        for start, end in _common_openings(schedules, now, now + horizon):
            if end > now:
                return max(start, now)
    return None


def next_opening(windows: Iterable[WeeklyWindow], now: datetime) -> datetime | None:
    """The first moment at or after ``now`` when the schedule is open (``now`` if open)."""
    return next_opening_in_all([as_schedule(windows)], now)


def closes_at(windows: Iterable[WeeklyWindow], now: datetime) -> datetime | None:
    """When the opening that contains ``now`` ends; None when closed or open all week."""
    _require_aware(now)
    horizon = _HORIZONS[1]
    for start, end in open_intervals(windows, now, now + horizon):
        if start <= now < end:
            return None if end >= now + horizon else end
    return None


def free_slot_starts(
    windows: Iterable[WeeklyWindow],
    *,
    start: datetime,
    end: datetime,
    booked: Iterable[datetime] = (),
    length: timedelta = CONFERENCE_SLOT,
    hosts: Sequence[Iterable[WeeklyWindow]] | None = None,
) -> list[datetime]:
    """Starts (UTC) of the free slots that begin in ``[start, end)``.

    Slots are ``length`` long, counted from each opening of ``windows`` and ending inside
    it. Without ``hosts`` a slot is free when nobody booked it; with ``hosts`` (each
    specialist's shifts) it is free while fewer bookings start there than specialists are
    on shift for the whole slot.
    """
    _require_aware(start)
    _require_aware(end)
    if length <= timedelta(0):
        raise ValueError("a slot must last some time")
    taken = Counter(moment.astimezone(UTC) for moment in booked)
    host_openings = (
        [open_intervals(shifts, start, end + length) for shifts in hosts]
        if hosts is not None
        else None
    )
    free: list[datetime] = []
    for opening_start, opening_end in open_intervals(windows, start, end):
        slot = opening_start
        if slot < start:
            # Keep the grid of the opening: the first slot at or after `start`.
            skipped = -(-(start - slot) // length)
            slot += skipped * length
        while slot + length <= opening_end and slot < end:
            if host_openings is None:
                capacity = 1
            else:
                capacity = sum(
                    any(s <= slot and slot + length <= e for s, e in openings)
                    for openings in host_openings
                )
            if taken[slot] < capacity:
                free.append(slot)
            slot += length
    return free


def open_time_end(
    schedules: Sequence[Iterable[WeeklyWindow]],
    start: datetime,
    duration: timedelta,
    *,
    horizon: timedelta = timedelta(days=366),
) -> datetime | None:
    """The moment at which every schedule has been open together for ``duration`` since
    ``start`` (``start + duration`` with no schedules: the clock runs all the time).

    A clock that only runs in opening hours: "four working hours after Friday 15:00" is
    Monday 11:30 in a 08:00-16:30 week. None when the schedules do not give that much open
    time within ``horizon``.
    """
    _require_aware(start)
    if duration < timedelta(0):
        raise ValueError("a duration cannot be negative")
    # In UTC: adding to a time in a named zone adds wall-clock time, an hour off across a
    # daylight-saving change.
    start = start.astimezone(UTC)
    if not schedules:
        return start + duration
    remaining = duration
    cursor = start
    # Two weeks at a time: each step reads the cached openings of those days.
    step = timedelta(days=14)
    while cursor - start < horizon:
        chunk_end = cursor + step
        for opening_start, opening_end in _common_openings(schedules, cursor, chunk_end):
            begin = max(opening_start, cursor)
            end = min(opening_end, chunk_end)
            if end <= begin:
                continue
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
        cursor = chunk_end
    return None


# --- Building schedules ------------------------------------------------------------------


def every_day(
    opens: time, closes: time, zone: ZoneInfo, days: Iterable[int] = range(7)
) -> Schedule:
    """The same hours on each of ``days`` (default: every day of the week)."""
    return Schedule(WeeklyWindow(day, opens, closes, zone) for day in days)


def weekdays(opens: time, closes: time, zone: ZoneInfo) -> Schedule:
    """Monday to Friday."""
    return every_day(opens, closes, zone, range(MONDAY, SATURDAY))


def span(start_day: int, start: time, end_day: int, end: time, zone: ZoneInfo) -> Schedule:
    """One opening from ``start_day start`` to ``end_day end``, as one row per day.

    The end is a moment: ``end_day`` at 00:00 is the start of that day. An end that is not
    after the start on the same day wraps round the whole week.
    """
    rows: list[WeeklyWindow] = []
    day, opens = start_day, start
    while not (day == end_day and (end > opens or (rows and end == MIDNIGHT))):
        rows.append(WeeklyWindow(day, opens, MIDNIGHT, zone))
        day, opens = (day + 1) % 7, MIDNIGHT
    if end > opens:
        rows.append(WeeklyWindow(day, opens, end, zone))
    return Schedule(rows)


# --- The spec's defaults (seeded into the database, then edited by operations) -----------

DENVER = ZoneInfo("America/Denver")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
UTC_ZONE = ZoneInfo("UTC")

ALL_WEEK = every_day(MIDNIGHT, MIDNIGHT, UTC_ZONE)
# Sunday 17:00 to Friday 17:00 Mountain Time: weekdays around the world.
WORKING_WEEK_DENVER = span(SUNDAY, time(17), FRIDAY, time(17), DENVER)
CET_OFFICE_HOURS = weekdays(time(8), time(16, 30), BERLIN)
US_BUSINESS_HOURS = weekdays(time(8), time(17), NEW_YORK)

DEFAULT_CHANNEL_HOURS: Mapping[tuple[str, str], Schedule] = {
    ("chat", "general"): WORKING_WEEK_DENVER,
    ("email", "general"): ALL_WEEK,
    ("phone", "general"): ALL_WEEK,
    ("email", "enterprise"): WORKING_WEEK_DENVER,
    ("phone", "enterprise"): WORKING_WEEK_DENVER,
    ("conference", "enterprise"): weekdays(time(8), time(17), DENVER),
}
"""(channel, team) → hours. Chat is served by general support only (R-METHODS)."""

DEFAULT_LANGUAGE_HOURS: Mapping[str, Schedule] = {
    "es": CET_OFFICE_HOURS + US_BUSINESS_HOURS,
    "pt": CET_OFFICE_HOURS + US_BUSINESS_HOURS,
    "de": CET_OFFICE_HOURS,
    "fr": CET_OFFICE_HOURS,
    "it": CET_OFFICE_HOURS,
    "nl": CET_OFFICE_HOURS,
    "ja": weekdays(time(9), time(17), TOKYO),
}
"""Language → staffed hours. English has none: it follows each channel's own hours."""
