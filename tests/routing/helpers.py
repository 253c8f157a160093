"""Plain data for the pure routing tests: moments in named zones, areas, staffing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from routing.demo import ROSTER, DemoAgent
from routing.hours import ALL_WEEK, Schedule, every_day
from routing.policy import AreaFacts, QueueKey, QueueState, Staffing, Team

DENVER = ZoneInfo("America/Denver")
ROME = ZoneInfo("Europe/Rome")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
LANGUAGES = ("en", "es", "pt", "de", "fr", "it", "nl", "ja")


def at(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock moment in a named zone (aware)."""
    return datetime(year, month, day, hour, minute, tzinfo=zone)


SURVEYS = AreaFacts(
    slug="surveys-xm-directory",
    chat_languages=frozenset({"en", "es"}),
    conference_call_eligible=True,
    enterprise_phone=True,
)
BX_DASHBOARDS = AreaFacts(
    slug="bx-dashboards",
    chat_languages=frozenset({"en"}),
    conference_call_eligible=True,
    enterprise_phone=False,
)
ACCESSIBILITY = AreaFacts(
    slug="accessibility",
    chat_languages=frozenset({"en"}),
    conference_call_eligible=False,
    enterprise_phone=False,
)
DISCOVER = AreaFacts(slug="xm-discover", redirects_to_discover=True, chat_languages=frozenset())
AREAS = (SURVEYS, BX_DASHBOARDS, ACCESSIBILITY, DISCOVER)


def staffed(
    *,
    shifts: Schedule = ALL_WEEK,
    agents: int = 2,
    waiting: int = 0,
    arrivals_per_hour: float = 6.0,
    handle_seconds: float = 480.0,
    languages: Iterable[str] = LANGUAGES,
    areas: Iterable[AreaFacts] = AREAS,
) -> Staffing:
    """Every queue worked by ``agents`` agents on the same shifts (round the clock)."""
    queues = {
        QueueKey(language, area.slug, team): QueueState(
            agent_shifts=(shifts,) * agents,
            waiting=waiting,
            arrivals_per_hour=arrivals_per_hour,
            handle_seconds=handle_seconds,
        )
        for language in languages
        for area in areas
        for team in (Team.GENERAL, Team.ENTERPRISE)
    }
    return Staffing(phone=queues, chat=queues)


def demo_schedule(demo: DemoAgent) -> Schedule:
    return every_day(demo.starts, demo.ends, ZoneInfo(demo.time_zone), demo.days)


def roster_staffing(
    *, waiting: int = 0, arrivals_per_hour: float = 6.0, areas: Iterable[AreaFacts] = AREAS
) -> Staffing:
    """The demo roster (routing.demo.ROSTER) as plain policy data: real shifts, real gaps."""

    def queues(*, chat: bool) -> dict[QueueKey, QueueState]:
        return {
            QueueKey(language, area.slug, team): QueueState(
                agent_shifts=tuple(
                    demo_schedule(demo)
                    for demo in ROSTER
                    if demo.team == team.value
                    and language in demo.languages
                    and (demo.chat or not chat)
                ),
                waiting=waiting,
                arrivals_per_hour=arrivals_per_hour,
            )
            for language in LANGUAGES
            for area in areas
            for team in (Team.GENERAL, Team.ENTERPRISE)
        }

    return Staffing(phone=queues(chat=False), chat=queues(chat=True))
