"""Service-level targets: when a ticket's first response and its resolution are due.

Plain rules on plain facts, as ``routing.policy`` is: no models, no clock of its own. The
selectors read the targets and the hours; the services store what these return on the ticket.

A target counts either every hour ("calendar") or only the hours the ticket's queue is
staffed ("business hours"): its channel's hours for its team, and, for a language other
than English, that language's hours too. The hours are weekly windows in real time zones
(``routing.hours``), so a clock that runs only in Berlin office hours stops over the weekend
and keeps 08:00 local across a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from routing.hours import Schedule, open_time_end
from routing.policy import Method, ServiceHours, Team

# A due time this close is marked "due soon" in the agents' list.
DUE_SOON = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TargetTerms:
    """One licence tier's and channel's targets."""

    first_response: timedelta
    resolution: timedelta
    business_hours_only: bool


@dataclass(frozen=True, slots=True)
class DueTimes:
    """When a ticket is due; None when its hours never open (no clock to run on)."""

    first_response_due_at: datetime | None
    resolution_due_at: datetime | None


class ServiceLevelState(StrEnum):
    """Where one due time stands."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"


def ticket_due_times(
    *, created_at: datetime, terms: TargetTerms, hours: Sequence[Schedule]
) -> DueTimes:
    """The due times of a ticket made at ``created_at`` under ``terms``.

    ``hours`` are the schedules that must all be open for a business-hours clock to run
    (ignored by a calendar target; an empty sequence means always open).
    """
    if created_at.tzinfo is None:
        raise ValueError("created_at must be an aware datetime")
    # In UTC: adding to a time in a named zone adds wall-clock time, an hour off across a
    # daylight-saving change.
    created_at = created_at.astimezone(UTC)
    if not terms.business_hours_only:
        return DueTimes(created_at + terms.first_response, created_at + terms.resolution)
    return DueTimes(
        open_time_end(hours, created_at, terms.first_response),
        open_time_end(hours, created_at, terms.resolution),
    )


def queue_hours(hours: ServiceHours, *, channel: str, team: Team, language: str) -> list[Schedule]:
    """The schedules a business-hours clock runs in for a ticket of this queue.

    The channel's hours for the ticket's team (a team with none of its own, such as Account
    Services, works the general team's hours; a web form is answered as email), and the
    language's staffed hours for a language that has them. No schedule at all: always open.
    """
    method = Method(channel) if channel in {m.value for m in Method} else Method.EMAIL
    schedules: list[Schedule] = []
    channel_hours = hours.channel(method, team) or hours.channel(method, Team.GENERAL)
    if channel_hours:
        schedules.append(channel_hours)
    language_hours = hours.languages.get(language)
    if language_hours:
        schedules.append(language_hours)
    return schedules


def service_level_state(
    *, due_at: datetime | None, done_at: datetime | None, now: datetime, soon: timedelta = DUE_SOON
) -> ServiceLevelState | None:
    """One target's state at ``now``: met or breached once done, else by how near it is.

    None when there is no due time.
    """
    if due_at is None:
        return None
    if done_at is not None:
        return ServiceLevelState.MET if done_at <= due_at else ServiceLevelState.BREACHED
    if now > due_at:
        return ServiceLevelState.BREACHED
    if due_at - now <= soon:
        return ServiceLevelState.DUE_SOON
    return ServiceLevelState.ON_TRACK


# --- The defaults (seeded into the database, then edited by operations) -----------------

_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)

# (licence tier, channel) → terms. Enterprise tighter than standard, standard tighter than
# self-service. Live channels (chat, phone) are timed on the calendar on every tier; email,
# conference calls and the web forms in the queue's staffed hours, so a business-hours
# resolution of 16 hours is two working days of a team that works eight.
DEFAULT_TARGETS: Mapping[tuple[str, str], TargetTerms] = {
    ("enterprise", "chat"): TargetTerms(5 * _MINUTE, 4 * _HOUR, False),
    ("enterprise", "phone"): TargetTerms(30 * _MINUTE, 8 * _HOUR, False),
    ("enterprise", "email"): TargetTerms(1 * _HOUR, 16 * _HOUR, True),
    ("enterprise", "conference"): TargetTerms(4 * _HOUR, 24 * _HOUR, True),
    ("enterprise", "web"): TargetTerms(2 * _HOUR, 24 * _HOUR, True),
    ("standard", "chat"): TargetTerms(15 * _MINUTE, 8 * _HOUR, False),
    ("standard", "phone"): TargetTerms(1 * _HOUR, 24 * _HOUR, False),
    ("standard", "email"): TargetTerms(4 * _HOUR, 40 * _HOUR, True),
    ("standard", "conference"): TargetTerms(8 * _HOUR, 40 * _HOUR, True),
    ("standard", "web"): TargetTerms(8 * _HOUR, 40 * _HOUR, True),
    ("self_service", "chat"): TargetTerms(1 * _HOUR, 24 * _HOUR, False),
    ("self_service", "phone"): TargetTerms(4 * _HOUR, 48 * _HOUR, False),
    ("self_service", "email"): TargetTerms(16 * _HOUR, 80 * _HOUR, True),
    ("self_service", "conference"): TargetTerms(16 * _HOUR, 80 * _HOUR, True),
    ("self_service", "web"): TargetTerms(16 * _HOUR, 80 * _HOUR, True),
}
