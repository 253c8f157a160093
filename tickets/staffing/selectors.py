"""Reads for the staffing planner: the measured callback load, and the plan built from it.

The page's cost does not depend on the number of tickets: the arrivals of the weeks measured
are counted in one aggregate query (grouped by queue, local weekday and half-hour), the
handle times come from the statistics beat keeps (one query), and the roster is two.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Value, When
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, ExtractMinute

from routing.policy import Method
from routing.policy import Team as QueueTeam
from routing.selectors import HandleTimes, HandleTotal, rostered_agents
from routing.staffing import (
    ArrivalRates,
    ServiceTarget,
    StaffingCell,
    StaffingQueue,
    staffing_plan,
    week_half_hours,
)
from tickets.models import QUEUED_TEAMS, CallbackRequest, QueueStatistic

# Arrival rates are the average of this many weeks before the moment the plan is made.
MEASURED_WEEKS = 8


def staffing_queues() -> list[StaffingQueue]:
    """Every callback queue: each support language, general and Enterprise."""
    return [
        StaffingQueue(language, team.queue_team)
        for language, _name in settings.SUPPORT_LANGUAGES
        for team in QUEUED_TEAMS
    ]


def callback_arrival_rates(*, zone: ZoneInfo, now: datetime) -> ArrivalRates:
    """Callbacks queued per local weekday and half-hour of the day in ``zone``, averaged
    over the ``MEASURED_WEEKS`` weeks before ``now`` (one query).

    The database reads each moment on ``zone``'s wall clock, so a callback at 09:10 in
    summer and one at 09:10 in winter both count for 09:00–09:30.
    """
    rows = (
        CallbackRequest.objects.filter(
            enqueued_at__gte=now - timedelta(weeks=MEASURED_WEEKS),
            enqueued_at__lt=now,
            team__in=[team.queue_team.value for team in QUEUED_TEAMS],
        )
        .alias(minute=ExtractMinute("enqueued_at", tzinfo=zone))
        .annotate(
            weekday=ExtractIsoWeekDay("enqueued_at", tzinfo=zone),
            hour=ExtractHour("enqueued_at", tzinfo=zone),
            half=Case(
                When(minute__gte=30, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
        )
        .values_list("language", "team", "weekday", "hour", "half")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        (StaffingQueue(language, QueueTeam(team)), weekday - 1, hour * 2 + half): (
            count / MEASURED_WEEKS
        )
        for language, team, weekday, hour, half, count in rows
    }


def callback_handle_seconds(queues: list[StaffingQueue]) -> dict[StaffingQueue, float]:
    """Each queue's mean callback handle time, from the statistics beat keeps: the
    language's own across its areas when there are enough samples, else the team's, else
    the default (one query)."""
    by_queue: dict[tuple[str, int | None, QueueTeam], HandleTotal] = defaultdict(HandleTotal)
    by_team: dict[QueueTeam, HandleTotal] = {}
    rows = QueueStatistic.objects.filter(method=Method.PHONE.value, handled__gt=0).values_list(
        "team", "language", "handled", "handle_seconds"
    )
    for team, language, handled, seconds in rows:
        total = HandleTotal(handled, seconds)
        if language:
            by_queue[(language, None, QueueTeam(team))] += total
        else:
            by_team[QueueTeam(team)] = total
    times = HandleTimes(by_queue=dict(by_queue), by_team=by_team)
    return {queue: times.mean_seconds((queue.language, None, queue.team)) for queue in queues}


@dataclass(frozen=True, slots=True)
class QueuePlan:
    """One queue's week: its half-hours in order, and what they add up to."""

    queue: StaffingQueue
    cells: list[StaffingCell]

    @property
    def short_half_hours(self) -> int:
        return sum(1 for cell in self.cells if cell.is_short)

    @property
    def largest_shortfall(self) -> int:
        return max((cell.shortfall for cell in self.cells), default=0)

    @property
    def agent_hours_needed(self) -> float:
        return sum(cell.needed for cell in self.cells) / 2

    @property
    def agent_hours_rostered(self) -> float:
        return sum(cell.rostered for cell in self.cells) / 2

    @property
    def handle_minutes(self) -> float:
        return self.cells[0].handle_seconds / 60 if self.cells else 0.0


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    monday: date
    zone: ZoneInfo
    target: ServiceTarget
    queues: list[QueuePlan]


def staffing_plan_for(
    *, monday: date, zone: ZoneInfo, target: ServiceTarget, now: datetime
) -> StaffingPlan:
    """The week from ``monday`` in ``zone``: every queue's half-hours, agents needed to meet
    ``target`` against agents rostered (four queries, whatever the number of tickets)."""
    queues = staffing_queues()
    half_hours = week_half_hours(monday, zone)
    cells = staffing_plan(
        queues=queues,
        half_hours=half_hours,
        arrivals=callback_arrival_rates(zone=zone, now=now),
        handle_seconds=callback_handle_seconds(queues),
        rostered=rostered_agents(queues=queues, half_hours=half_hours),
        target=target,
    )
    by_queue: dict[StaffingQueue, list[StaffingCell]] = defaultdict(list)
    for cell in cells:
        by_queue[cell.queue].append(cell)
    return StaffingPlan(
        monday=monday,
        zone=zone,
        target=target,
        queues=[QueuePlan(queue, by_queue[queue]) for queue in queues],
    )
