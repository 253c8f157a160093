"""A support world for the contact-form tests whose hours do not depend on today's date.

Routing reads hours and shifts from the database, so the tests set them: every channel and
Italian open round the clock (``open_world``), Italian opening only in two days
(``italian_closed``), or Italian cover so thin that English is suggested
(``thin_italian_cover``). No frozen clock is needed.
"""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from hub.accounts.models import User
from routing.configuration import configuration_changed
from routing.models import Agent, AgentShift, LanguageWindow, ProductArea, ServiceWindow
from routing.services import service_hours_ensure_defaults
from tickets.models import CallbackRequest, Channel, Team, Ticket
from tickets.numbering import next_ticket_number

MIDNIGHT = time(0)
ROME = "Europe/Rome"


def every_day(model: type[ServiceWindow | LanguageWindow], **fields: str) -> None:
    for day in range(7):
        model.objects.create(
            weekday=day, opens=MIDNIGHT, closes=MIDNIGHT, time_zone="UTC", **fields
        )


def agent_add(email: str, *, team: str, languages: list[str]) -> Agent:
    user = User.objects.create_user(username=email, email=email, is_staff=True)
    agent = Agent.objects.create(user=user, team=team, languages=languages, time_zone="UTC")
    AgentShift.objects.bulk_create(
        AgentShift(agent=agent, weekday=day, opens=MIDNIGHT, closes=MIDNIGHT) for day in range(7)
    )
    configuration_changed()  # bulk_create sends no signal
    return agent


def open_world() -> list[Agent]:
    """Email and phone open round the clock, for both teams, in English and Italian;
    conference calls keep their default hours (weekdays in Denver) with one specialist."""
    # A transactional test starts from an empty database: the migration's hours are gone.
    service_hours_ensure_defaults()
    ServiceWindow.objects.filter(channel__in=["email", "phone"]).delete()
    for channel in ("email", "phone"):
        for team in ("general", "enterprise"):
            every_day(ServiceWindow, channel=channel, team=team)
    LanguageWindow.objects.filter(language="it").delete()
    every_day(LanguageWindow, language="it")
    return [
        agent_add("en.agent@hub.example", team="general", languages=["en"]),
        agent_add("it.agent@hub.example", team="general", languages=["it", "en"]),
        agent_add("specialist@hub.example", team="enterprise", languages=["en", "it"]),
    ]


def italian_closed() -> None:
    """Italian is staffed only on the day after tomorrow (Rome), 08:00–16:30."""
    LanguageWindow.objects.filter(language="it").delete()
    day = timezone.localtime(timezone.now(), ZoneInfo(ROME)).date() + timedelta(days=2)
    LanguageWindow.objects.create(
        language="it", weekday=day.weekday(), opens=time(8), closes=time(16, 30), time_zone=ROME
    )


def thin_italian_cover(requester: User, area: ProductArea, *, waiting: int = 5) -> None:
    """Five Italian callbacks already waiting for the one Italian agent: about 48 minutes."""
    now = timezone.now()
    for number in range(waiting):
        ticket = Ticket.objects.create(
            number=next_ticket_number(),
            requester=requester,
            organisation=requester.membership.organisation,
            team=Team.TECHNICAL,
            product_area=area,
            channel=Channel.PHONE,
            language="it",
            subject=f"Waiting {number}",
            phone_number="+390612345678",
        )
        CallbackRequest.objects.create(
            ticket=ticket,
            language="it",
            product_area=area,
            team="general",
            enqueued_at=now - timedelta(minutes=number + 1),
        )
