"""Routing's configuration, read once per change rather than on every request: the product
areas with their translations, the queue teams' agents with their shifts, and every channel's
and language's hours.

Every step of the flow needs some of these: a few hundred rows that people edit a few times
a day, but that took most of the method picker's time to read and turn into schedules on
each request. Each process keeps them built (``Configuration``) under a version token held
in the shared cache:

- saving or deleting an area or its translation, an agent, a shift, an agent's areas or any
  hours replaces the token, at once and again when the transaction commits (so that a
  process which read the rows before the commit reads them again);
- writes that send no signals (``bulk_create``, ``QuerySet.update``) call
  ``configuration_changed``;
- a process reads the rows again when the token it built them under is no longer the current
  one, when the cache has lost the token, and in any case after
  ``CONFIGURATION_MAX_AGE_SECONDS``, which bounds how long a change made some other way (a
  database console) goes unseen.

A cache that is away degrades to each process's own memory (``hub.cache``): the token then
only moves for that process's own writes, and the age bound covers the rest.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language

from hub.versions import SharedVersion
from routing import hours as hours_maths
from routing.hours import Schedule
from routing.models import (
    Agent,
    AgentShift,
    LanguageWindow,
    ProductArea,
    ProductAreaTranslation,
    ServiceWindow,
)
from routing.policy import Method, ServiceHours, Team

VERSION_KEY = "routing:configuration-version"
QUEUE_TEAMS = (Team.GENERAL, Team.ENTERPRISE)


@dataclass(frozen=True, slots=True)
class RosterAgent:
    """A queue team's active agent as routing reads one: skills, areas and weekly shifts."""

    pk: int
    user_id: int
    team: str
    languages: frozenset[str]
    time_zone: str
    available_for_chat: bool
    # Empty: the agent covers every area.
    area_ids: frozenset[int]
    schedule: Schedule

    def speaks(self, language: str) -> bool:
        return language in self.languages

    def covers(self, area_id: int | None) -> bool:
        return not self.area_ids or area_id is None or area_id in self.area_ids


@dataclass(frozen=True, slots=True)
class Configuration:
    """Read-only: the same objects serve every request of the process until a change."""

    agents: tuple[RosterAgent, ...]
    hours: ServiceHours
    # Active areas in their order, translations prefetched.
    areas: tuple[ProductArea, ...]
    # Every area, retired ones too (old tickets still name them), in the same order.
    every_area: tuple[ProductArea, ...]
    # Every area's name by id, per language, made when a language is first asked for: a
    # page that names areas in several places then builds them once.
    _names_by_language: dict[str | None, MappingProxyType[int, str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def area(self, slug: str) -> ProductArea | None:
        return next((area for area in self.areas if area.slug == slug), None)

    def area_names(self) -> MappingProxyType[int, str]:
        """Every area's name in the current language, retired ones too, by id."""
        language = get_language()
        names = self._names_by_language.get(language)
        if names is None:
            names = MappingProxyType({area.pk: area.localized_name for area in self.every_area})
            # Threads may both make it: they make the same names.
            self._names_by_language[language] = names
        return names


def _max_age_seconds() -> float:
    return float(getattr(settings, "CONFIGURATION_MAX_AGE_SECONDS", 60))


def _read_configuration() -> Configuration:
    """Seven queries: agents, their shifts, their areas, channel hours, language hours, the
    product areas and their translations."""
    agents = list(
        Agent.objects.filter(is_active=True, team__in=[team.value for team in QUEUE_TEAMS])
        .order_by("pk")
        .values_list("pk", "user_id", "team", "languages", "time_zone", "available_for_chat")
    )
    agent_ids = [row[0] for row in agents]
    shifts: dict[int, list[hours_maths.WeeklyWindow]] = defaultdict(list)
    zones = {row[0]: row[4] for row in agents}
    for shift in AgentShift.objects.filter(agent_id__in=agent_ids).order_by(
        "agent_id", "weekday", "opens"
    ):
        shifts[shift.agent_id].append(shift.window_in(zones[shift.agent_id]))
    areas: dict[int, set[int]] = defaultdict(set)
    through = Agent.product_areas.through
    for agent_id, area_id in through.objects.filter(agent_id__in=agent_ids).values_list(
        "agent_id", "productarea_id"
    ):
        areas[agent_id].add(area_id)
    channels: dict[tuple[Method, Team], list[hours_maths.WeeklyWindow]] = defaultdict(list)
    for row in ServiceWindow.objects.all():
        channels[(Method(row.channel), Team(row.team))].append(row.as_window())
    languages: dict[str, list[hours_maths.WeeklyWindow]] = defaultdict(list)
    for language_row in LanguageWindow.objects.all():
        languages[language_row.language].append(language_row.as_window())
    every_area = tuple(ProductArea.objects.prefetch_related("translations"))
    return Configuration(
        agents=tuple(
            RosterAgent(
                pk=pk,
                user_id=user_id,
                team=team,
                languages=frozenset(spoken or ()),
                time_zone=zone,
                available_for_chat=chats,
                area_ids=frozenset(areas.get(pk, ())),
                schedule=hours_maths.schedule_shared(shifts.get(pk, ())),
            )
            for pk, user_id, team, spoken, zone, chats in agents
        ),
        hours=ServiceHours(
            channels={
                key: hours_maths.schedule_shared(windows) for key, windows in channels.items()
            },
            languages={
                key: hours_maths.schedule_shared(windows) for key, windows in languages.items()
            },
        ),
        areas=tuple(area for area in every_area if area.is_active),
        every_area=every_area,
    )


class _Built:
    """This process's configuration, the token it was built under and when."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: str | None = None
        self.built_at = 0.0
        self.configuration: Configuration | None = None


_built = _Built()


# Every step after the first of a request (the offers, the forms, the area) reads the
# configuration without a cache round trip.
VERSION = SharedVersion(VERSION_KEY)


def current_configuration() -> Configuration:
    """The configuration as the database holds it (one cache read when unchanged)."""
    token = VERSION.current()
    built = _built
    configuration = built.configuration
    if (
        configuration is not None
        and token
        and built.token == token
        and time.monotonic() - built.built_at < _max_age_seconds()
    ):
        return configuration
    # Two threads may both read it after a change; either result is current.
    configuration = _read_configuration()
    with built.lock:
        built.token, built.built_at = token, time.monotonic()
        built.configuration = configuration
    return configuration


def forget() -> None:
    """Drop this process's configuration, so that the next read goes to the database."""
    with _built.lock:
        _built.token, _built.built_at, _built.configuration = None, 0.0, None
    VERSION.forget_request()


def configuration_changed() -> None:
    """The configuration changed: every process reads it again (now and at commit)."""
    forget()
    VERSION.changed()


def _on_change(sender: Any, **kwargs: Any) -> None:
    configuration_changed()


def connect_signals() -> None:
    VERSION.connect_request_signals()
    for model in (
        Agent,
        AgentShift,
        ServiceWindow,
        LanguageWindow,
        ProductArea,
        ProductAreaTranslation,
    ):
        post_save.connect(
            _on_change, sender=model, dispatch_uid=f"configuration-save-{model.__name__}"
        )
        post_delete.connect(
            _on_change, sender=model, dispatch_uid=f"configuration-delete-{model.__name__}"
        )
    m2m_changed.connect(
        _on_change, sender=Agent.product_areas.through, dispatch_uid="configuration-agent-areas"
    )
