"""Routing micro-benchmark: the time to work out every contact offer for one user.

Pure Python, no database and no Django settings: the policy gets the spec's default hours
and a roster like the demo one as plain data, as the selector would pass them.

    python -m bench.bench_routing
"""

from __future__ import annotations

import itertools
import statistics
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from routing.hours import FRIDAY, MONDAY, SUNDAY, Schedule, clear_caches, every_day
from routing.policy import (
    AreaFacts,
    ContactOffers,
    LicenceTier,
    OrganisationFacts,
    QueueKey,
    QueueState,
    Staffing,
    Team,
    UserFacts,
    contact_offers,
    default_service_hours,
)

REPEATS = 25
CALLS_PER_REPEAT = 200
AREA = AreaFacts(
    slug="surveys-xm-directory",
    chat_languages=frozenset({"en", "es"}),
    conference_call_eligible=True,
    enterprise_phone=True,
)
LANGUAGES = ("en", "es", "pt", "de", "fr", "it", "nl", "ja")


def _shifts(zone: str, opens: time, closes: time, *, weekend: bool = False) -> Schedule:
    days = range(MONDAY, SUNDAY + 1) if weekend else range(MONDAY, FRIDAY + 1)
    return every_day(opens, closes, ZoneInfo(zone), days)


# (team, languages, shifts): the demo roster of routing/demo.py as plain data.
# fmt: off
ROSTER: tuple[tuple[Team, frozenset[str], Schedule], ...] = (
    (Team.GENERAL, frozenset({"en"}), _shifts("America/Denver", time(7), time(17), weekend=True)),
    (Team.GENERAL, frozenset({"en"}), _shifts("Europe/London", time(8), time(18), weekend=True)),
    (Team.GENERAL, frozenset({"en"}), _shifts("Asia/Manila", time(7), time(17), weekend=True)),
    (Team.GENERAL, frozenset({"es", "pt", "en"}), _shifts("Europe/Madrid", time(8), time(16, 30))),
    (Team.GENERAL, frozenset({"es", "pt", "en"}), _shifts("America/New_York", time(8), time(17))),
    (Team.GENERAL, frozenset({"de", "nl", "en"}), _shifts("Europe/Berlin", time(8), time(16, 30))),
    (Team.GENERAL, frozenset({"fr", "en"}), _shifts("Europe/Paris", time(8), time(16, 30))),
    (Team.GENERAL, frozenset({"it", "en"}), _shifts("Europe/Rome", time(8), time(16, 30))),
    (Team.GENERAL, frozenset({"ja", "en"}), _shifts("Asia/Tokyo", time(9), time(17))),
    (Team.ENTERPRISE, frozenset({"en", "ja"}), _shifts("Asia/Manila", time(7), time(15))),
    (Team.ENTERPRISE, frozenset({"en", "de", "fr", "it"}),
     _shifts("Europe/Dublin", time(6), time(16))),
    (Team.ENTERPRISE, frozenset({"en"}), _shifts("America/Denver", time(8), time(17))),
)
# fmt: on


def demo_staffing() -> Staffing:
    queues = {
        QueueKey(language, AREA.slug, team): QueueState(
            agent_shifts=tuple(
                shifts
                for agent_team, languages, shifts in ROSTER
                if agent_team == team and language in languages
            ),
            waiting=3,
            arrivals_per_hour=12.0,
            handle_seconds=420.0,
        )
        for language in LANGUAGES
        for team in (Team.GENERAL, Team.ENTERPRISE)
    }
    return Staffing(phone=queues, chat=queues)


def _offers_for_one_user(language: str, moments: list[datetime]) -> Callable[[], ContactOffers]:
    """A seat holder's offers: the longest path (Enterprise, handover, English fallback)."""
    organisation = OrganisationFacts(LicenceTier.ENTERPRISE, success_packages=1)
    user = UserFacts(has_seat=True)
    hours = default_service_hours()
    staffing = demo_staffing()
    moment = itertools.cycle(moments)

    def compute() -> ContactOffers:
        return contact_offers(
            organisation, user, AREA, language, now=next(moment), hours=hours, staffing=staffing
        )

    return compute


def _median_ms(compute: Callable[[], object], *, cold: bool = False) -> float:
    def call() -> object:
        if cold:
            clear_caches()
        return compute()

    runs = timeit.repeat(call, number=CALLS_PER_REPEAT, repeat=REPEATS)
    return statistics.median(runs) / CALLS_PER_REPEAT * 1000.0


def main() -> None:
    # Moments across a week, so the weekday, evening and weekend paths are all timed.
    start = datetime(2026, 3, 9, 0, 7, tzinfo=UTC)
    moments = [start + timedelta(minutes=97 * step) for step in range(104)]
    runs = f"median of {REPEATS} runs of {CALLS_PER_REPEAT}"
    for language in ("en", "it"):
        compute = _offers_for_one_user(language, moments)
        warm = _median_ms(compute)
        cold = _median_ms(compute, cold=True)
        print(
            f"routing: all offers for one user ({language}): {warm:.3f} ms "
            f"({runs}; {cold:.3f} ms with the opening-hours caches cleared before each call)",
            flush=True,
        )


if __name__ == "__main__":
    main()
