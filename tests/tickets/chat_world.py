"""A support world for the chat tests whose hours do not depend on today's date: chat open
round the clock (English everywhere, Spanish too), agents who take chats, and chats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from hub.accounts.models import StaffRole, User
from hub.accounts.services import staff_groups_ensure
from routing.configuration import configuration_changed
from routing.models import Agent, AgentShift, LanguageWindow, ProductArea, ServiceWindow
from routing.services import service_hours_ensure_defaults
from tests.conftest import PASSWORD
from tickets.chat.services import chat_presence_set, chat_start
from tickets.models import ChatSession

MIDNIGHT = time(0)


def _every_day(model: type[ServiceWindow | LanguageWindow], **fields: str) -> None:
    for day in range(7):
        model.objects.create(
            weekday=day, opens=MIDNIGHT, closes=MIDNIGHT, time_zone="UTC", **fields
        )


def chat_open_round_the_clock() -> None:
    """Chat, email and phone open every day, all day, in English and Spanish."""
    service_hours_ensure_defaults()
    ServiceWindow.objects.filter(channel__in=["chat", "email", "phone"]).delete()
    for channel in ("chat", "email", "phone"):
        for team in ("general", "enterprise"):
            _every_day(ServiceWindow, channel=channel, team=team)
    LanguageWindow.objects.filter(language="es").delete()
    _every_day(LanguageWindow, language="es")


def chat_agent(
    email: str,
    *,
    languages: Iterable[str] = ("en",),
    areas: Iterable[ProductArea] = (),
    team: str = "general",
    takes_chats: bool = True,
    first_name: str = "Ana",
) -> User:
    """A support agent on the roster, on shift round the clock, with a password."""
    groups = staff_groups_ensure()
    user = User.objects.create_user(
        username=email, email=email, password=PASSWORD, is_staff=True, first_name=first_name
    )
    user.groups.add(groups[StaffRole.AGENT])
    agent = Agent.objects.create(
        user=user,
        team=team,
        languages=list(languages),
        time_zone="UTC",
        available_for_chat=takes_chats,
    )
    agent.product_areas.set(list(areas))
    AgentShift.objects.bulk_create(
        AgentShift(agent=agent, weekday=day, opens=MIDNIGHT, closes=MIDNIGHT) for day in range(7)
    )
    configuration_changed()  # bulk_create sends no signal
    return user


def free(agent: User, *, now: datetime | None = None) -> User:
    """The agent switches chat on in the console."""
    chat_presence_set(agent=agent, available=True, now=now)
    return agent


def open_chat(
    requester: User,
    area: ProductArea,
    message: str = "The survey link shows an error",
    **extra: object,
) -> ChatSession:
    return chat_start(
        requester=requester, product_area=area, language="en", message=message, **extra
    )  # type: ignore[arg-type]
