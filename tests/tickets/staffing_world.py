"""A small world for the staffing planner: a supervisor in Rome, a Spanish agent on Monday
mornings, and Spanish callbacks on the past weeks' Monday mornings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from hub.accounts.models import StaffRole, User
from hub.accounts.services import staff_groups_ensure
from routing.models import Agent, AgentShift
from routing.staffing import week_start
from tickets.models import CallbackRequest, Channel, Status, Ticket

ROME = ZoneInfo("Europe/Rome")
PASSWORD = "planner-pass-2026"
BULK_FIRST = 8_000_000  # the planner's bulk tickets' numbers, apart from the sequence's


def supervisor_add(email: str = "supervisor@hub.example") -> User:
    user = User.objects.create_user(
        username=email, email=email, password=PASSWORD, is_staff=True, time_zone="Europe/Rome"
    )
    user.groups.add(staff_groups_ensure()[StaffRole.SUPERVISOR])
    return user


def spanish_agent_on_monday_mornings() -> Agent:
    user = User.objects.create_user(
        username="es.agent@hub.example", email="es.agent@hub.example", is_staff=True
    )
    agent = Agent.objects.create(
        user=user, team="general", languages=["es"], time_zone="Europe/Rome"
    )
    AgentShift.objects.create(agent=agent, weekday=0, opens=time(9), closes=time(10))
    return agent


def this_week() -> date:
    return week_start(timezone.now().astimezone(ROME).date())


def monday_morning_callbacks(requester: User, *, per_week: int, weeks: int = 4) -> None:
    """``per_week`` Spanish callbacks at 09:10 Rome time on each of the last ``weeks``
    Mondays (all inside the weeks the planner measures)."""
    mondays = [this_week() - timedelta(weeks=k) for k in range(1, weeks + 1)]
    callbacks_at(
        requester,
        [
            datetime.combine(mondays[index % len(mondays)], time(9, 10), tzinfo=ROME)
            for index in range(per_week * len(mondays))
        ],
    )


def callbacks_at(requester: User, moments: list[datetime]) -> None:
    """A Spanish general-support callback queued at each of ``moments``."""
    first = BULK_FIRST + Ticket.objects.filter(number__startswith="CS-8").count()
    tickets = [
        Ticket(
            number=f"CS-{first + index}",
            requester=requester,
            organisation_id=requester.membership.organisation_id,
            team="technical",
            channel=Channel.PHONE,
            language="es",
            subject="La encuesta no se envía",
            status=Status.SOLVED,
            phone_number="+34911234567",
        )
        for index in range(len(moments))
    ]
    Ticket.objects.bulk_create(tickets)
    CallbackRequest.objects.bulk_create(
        CallbackRequest(
            ticket=ticket,
            language="es",
            team="general",
            enqueued_at=moment,
        )
        for ticket, moment in zip(tickets, moments, strict=True)
    )
