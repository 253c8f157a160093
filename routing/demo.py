"""Demo roster: agents whose shifts cover every language window and the Enterprise hours.

``routing_demo_seed()`` is idempotent: it updates the agents that are there (their shifts
are reset to the ones below) and creates the missing ones. Shifts are written in each
agent's own time zone and overlap where two zones change their clocks on different dates,
so the cover has no gaps in any week of the year:

- English, general support, every day round the clock: Denver 07:00–17:00, London
  08:00–18:00, Manila 07:00–17:00 (Manila has no daylight saving).
- Spanish and Portuguese: Madrid 08:00–16:30 and New York 08:00–17:00, Monday to Friday;
  both also take chats (Spanish chat for Surveys & XM Directory).
- German and Dutch (Berlin), French (Paris), Italian (Rome): 08:00–16:30, Monday to Friday.
- Japanese: Tokyo 09:00–17:00, Monday to Friday.
- Enterprise Support, Sunday 17:00 to Friday 17:00 Denver: Manila 07:00–15:00 (Denver's
  evening), Dublin 06:00–16:00 (Denver's night; also German, French and Italian) and
  Denver 08:00–17:00 (the day; the conference-call specialist), Monday to Friday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.contrib.auth.hashers import make_password
from django.db import transaction

from hub.accounts.models import StaffRole, User
from hub.accounts.services import staff_groups_ensure
from routing.configuration import configuration_changed
from routing.hours import FRIDAY, MONDAY, SUNDAY
from routing.models import Agent, AgentShift, SupportTeam
from routing.services import service_hours_ensure_defaults

EVERY_DAY = range(MONDAY, SUNDAY + 1)
WEEKDAYS = range(MONDAY, FRIDAY + 1)


@dataclass(frozen=True)
class DemoAgent:
    email: str
    first_name: str
    last_name: str
    team: SupportTeam
    languages: tuple[str, ...]
    time_zone: str
    days: range
    starts: time
    ends: time
    chat: bool = False


# fmt: off
ROSTER: tuple[DemoAgent, ...] = (
    DemoAgent(
        "agent@hub.example", "Ana", "Silva", SupportTeam.GENERAL, ("en",),
        "America/Denver", EVERY_DAY, time(7), time(17), chat=True,
    ),
    DemoAgent(
        "agent.en.emea@hub.example", "Ellis", "Byrne", SupportTeam.GENERAL, ("en",),
        "Europe/London", EVERY_DAY, time(8), time(18), chat=True,
    ),
    DemoAgent(
        "agent.en.apac@hub.example", "Mara", "Santos", SupportTeam.GENERAL, ("en",),
        "Asia/Manila", EVERY_DAY, time(7), time(17), chat=True,
    ),
    DemoAgent(
        "agent.es@hub.example", "Lucía", "Ortega", SupportTeam.GENERAL, ("es", "pt", "en"),
        "Europe/Madrid", WEEKDAYS, time(8), time(16, 30), chat=True,
    ),
    DemoAgent(
        "agent.es.us@hub.example", "Diego", "Ramos", SupportTeam.GENERAL, ("es", "pt", "en"),
        "America/New_York", WEEKDAYS, time(8), time(17), chat=True,
    ),
    DemoAgent(
        "agent.de@hub.example", "Jonas", "Weber", SupportTeam.GENERAL, ("de", "nl", "en"),
        "Europe/Berlin", WEEKDAYS, time(8), time(16, 30),
    ),
    DemoAgent(
        "agent.fr@hub.example", "Camille", "Laurent", SupportTeam.GENERAL, ("fr", "en"),
        "Europe/Paris", WEEKDAYS, time(8), time(16, 30),
    ),
    DemoAgent(
        "agent.it@hub.example", "Giulia", "Conti", SupportTeam.GENERAL, ("it", "en"),
        "Europe/Rome", WEEKDAYS, time(8), time(16, 30),
    ),
    DemoAgent(
        "agent.ja@hub.example", "Haruto", "Sato", SupportTeam.GENERAL, ("ja", "en"),
        "Asia/Tokyo", WEEKDAYS, time(9), time(17),
    ),
    DemoAgent(
        "agent.ent.apac@hub.example", "Kenji", "Mori", SupportTeam.ENTERPRISE, ("en", "ja"),
        "Asia/Manila", WEEKDAYS, time(7), time(15),
    ),
    DemoAgent(
        "agent.ent.emea@hub.example", "Niamh", "Kelly", SupportTeam.ENTERPRISE,
        ("en", "de", "fr", "it"), "Europe/Dublin", WEEKDAYS, time(6), time(16),
    ),
    DemoAgent(
        "agent.ent.denver@hub.example", "Rosa", "Vega", SupportTeam.ENTERPRISE, ("en",),
        "America/Denver", WEEKDAYS, time(8), time(17),
    ),
)
# fmt: on


@transaction.atomic
def routing_demo_seed(*, password: str | None = None) -> list[Agent]:
    """Create or refresh the demo roster (and the default hours if there are none).

    With ``password`` every roster login gets it; without, new logins get an unusable one.
    ``agent@hub.example`` is reused when it exists.
    """
    service_hours_ensure_defaults()
    agent_group = staff_groups_ensure()[StaffRole.AGENT]
    # One hash for every login: the password hasher is slow by design.
    hashed = make_password(password) if password is not None else None
    agents = []
    for demo in ROSTER:
        user, created = User.objects.get_or_create(
            email=demo.email,
            defaults={
                "username": demo.email,
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "time_zone": demo.time_zone,
                "is_staff": True,
            },
        )
        if hashed is not None:
            user.password = hashed
        elif created:
            user.set_unusable_password()
        user.is_staff = True
        user.save()
        user.groups.add(agent_group)
        agent, _ = Agent.objects.update_or_create(
            user=user,
            defaults={
                "team": demo.team,
                "languages": list(demo.languages),
                "time_zone": demo.time_zone,
                "available_for_chat": demo.chat,
                "is_active": True,
            },
        )
        agent.product_areas.clear()
        agent.shifts.all().delete()
        AgentShift.objects.bulk_create(
            AgentShift(agent=agent, weekday=day, opens=demo.starts, closes=demo.ends)
            for day in demo.days
        )
        agents.append(agent)
    # bulk_create sends no signal.
    configuration_changed()
    return agents
