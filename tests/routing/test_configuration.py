"""Areas, hours and the roster are read from the database once per change, in every process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from hub.accounts.models import User
from routing import configuration
from routing.configuration import VERSION_KEY, configuration_changed, current_configuration
from routing.models import (
    Agent,
    AgentShift,
    LanguageWindow,
    ProductArea,
    ProductAreaTranslation,
    ServiceWindow,
    SupportTeam,
)
from routing.selectors import product_area_active, product_area_names, service_hours

MIDNIGHT = time(0)


@pytest.fixture
def agent_row(db: None, product_areas: list[ProductArea]) -> Agent:
    user = User.objects.create_user(
        username="ada@hub.example", email="ada@hub.example", is_staff=True
    )
    agent = Agent.objects.create(user=user, team=SupportTeam.GENERAL, languages=["en"])
    AgentShift.objects.create(agent=agent, weekday=0, opens=time(9), closes=time(17))
    return agent


def _agent(pk: int) -> object:
    return next((agent for agent in current_configuration().agents if agent.pk == pk), None)


@pytest.mark.django_db
def test_a_second_read_costs_one_cache_read_and_no_query(
    agent_row: Agent, django_assert_num_queries: Callable[[int], CaptureQueriesContext]
) -> None:
    first = current_configuration()
    with django_assert_num_queries(0):
        again = current_configuration()
    assert again is first
    assert [agent.pk for agent in again.agents] == [agent_row.pk]
    assert again.agents[0].schedule.windows[0].opens == time(9)
    assert product_area_active("surveys-xm-directory") is not None


@pytest.mark.django_db
def test_a_request_asks_the_cache_for_the_token_once_and_the_next_request_asks_again(
    agent_row: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    real_get = cache.get

    def counted_get(key: str, *args: Any, **kwargs: Any) -> Any:
        if key == VERSION_KEY:
            asked.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", counted_get)
    # What Django's request_started and request_finished signals call (sending them here
    # would also close the test's database connection).
    try:
        configuration.VERSION.request_started()
        first = current_configuration()
        assert current_configuration() is first and current_configuration() is first
        assert len(asked) == 1
        configuration.VERSION.request_finished()
        configuration.VERSION.request_started()
        # Another process changed the configuration between the two requests.
        cache.set(VERSION_KEY, "moved on elsewhere", None)
        assert current_configuration() is not first
        assert len(asked) == 2
    finally:
        configuration.VERSION.request_finished()
    # Outside a request (a task, a command) every read asks.
    current_configuration()
    current_configuration()
    assert len(asked) == 4


@pytest.mark.django_db
def test_a_configuration_read_again_shares_the_schedules_that_did_not_change(
    agent_row: Agent,
) -> None:
    """The interval maths caches by schedule: a schedule read again is the very object the
    caches already hold (an identity check), and a changed one is a new object."""
    ServiceWindow.objects.create(
        channel="phone", team=SupportTeam.GENERAL, weekday=0, opens=time(8), closes=time(18)
    )
    first = current_configuration()
    configuration_changed()
    second = current_configuration()
    assert second is not first
    assert second.agents[0].schedule is first.agents[0].schedule
    assert second.hours.channels == first.hours.channels
    assert all(
        second.hours.channels[key] is schedule for key, schedule in first.hours.channels.items()
    )
    AgentShift.objects.create(agent=agent_row, weekday=1, opens=time(9), closes=time(17))
    changed = current_configuration().agents[0].schedule
    assert changed is not first.agents[0].schedule
    assert len(changed) == 2


@pytest.mark.django_db
def test_saving_a_shift_an_agent_or_an_area_is_seen_by_the_next_read(agent_row: Agent) -> None:
    current_configuration()
    AgentShift.objects.create(agent=agent_row, weekday=1, opens=time(9), closes=time(17))
    agent = _agent(agent_row.pk)
    assert agent is not None and len(agent.schedule) == 2  # type: ignore[attr-defined]

    agent_row.languages = ["en", "de"]
    agent_row.save()
    agent = _agent(agent_row.pk)
    assert agent is not None and agent.speaks("de")  # type: ignore[attr-defined]

    area = ProductArea.objects.get(slug="surveys-xm-directory")
    agent_row.product_areas.add(area)
    agent = _agent(agent_row.pk)
    assert agent is not None and agent.covers(area.pk)  # type: ignore[attr-defined]
    assert not agent.covers(area.pk + 1000)  # type: ignore[attr-defined]

    area.is_active = False
    area.save()
    assert product_area_active("surveys-xm-directory") is None

    agent_row.is_active = False
    agent_row.save()
    assert _agent(agent_row.pk) is None


@pytest.mark.django_db
def test_a_renamed_area_is_named_anew(product_areas: list[ProductArea]) -> None:
    area = product_areas[0]
    current_configuration()
    ProductAreaTranslation.objects.update_or_create(
        area=area, language="it", defaults={"name": "Nome nuovo", "description": "Descrizione"}
    )
    found = product_area_active(area.slug)
    assert found is not None
    assert [t.name for t in found.translations.all() if t.language == "it"] == ["Nome nuovo"]


@pytest.mark.django_db
def test_the_areas_names_are_in_each_readers_language_and_follow_a_rename(
    product_areas: list[ProductArea],
) -> None:
    area = product_areas[0]
    ProductAreaTranslation.objects.update_or_create(
        area=area, language="it", defaults={"name": "Nome primo", "description": "Descrizione"}
    )
    with translation.override("it"):
        assert product_area_names()[area.pk] == "Nome primo"
    with translation.override("en"):
        assert product_area_names()[area.pk] == area.name
    ProductAreaTranslation.objects.filter(area=area, language="it").update(name="Nome nuovo")
    configuration_changed()
    with translation.override("it"):
        assert product_area_names()[area.pk] == "Nome nuovo"


@pytest.mark.django_db
def test_hours_deleted_are_gone_from_the_next_read(product_areas: list[ProductArea]) -> None:
    LanguageWindow.objects.create(
        language="ja", weekday=0, opens=time(9), closes=time(17), time_zone="Asia/Tokyo"
    )
    assert service_hours().languages["ja"]
    LanguageWindow.objects.filter(language="ja").delete()
    assert "ja" not in service_hours().languages


@pytest.mark.django_db
def test_another_process_change_moves_the_token_and_this_process_reads_again(
    agent_row: Agent,
) -> None:
    first = current_configuration()
    # Another process's write: rows changed without this process's signals, then the token.
    AgentShift.objects.bulk_create(
        [
            AgentShift(agent=agent_row, weekday=day, opens=MIDNIGHT, closes=MIDNIGHT)
            for day in (2, 3)
        ]
    )
    assert current_configuration() is first
    cache.set(VERSION_KEY, "moved-on-elsewhere", None)
    agent = _agent(agent_row.pk)
    assert agent is not None and len(agent.schedule) == 3  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_lost_token_means_reading_again(agent_row: Agent) -> None:
    first = current_configuration()
    cache.delete(VERSION_KEY)
    assert current_configuration() is not first


@pytest.mark.django_db
def test_writes_without_signals_say_so_or_are_seen_after_the_age_bound(
    agent_row: Agent, settings: Any
) -> None:
    first = current_configuration()
    AgentShift.objects.bulk_create(
        [AgentShift(agent=agent_row, weekday=4, opens=MIDNIGHT, closes=MIDNIGHT)]
    )
    assert current_configuration() is first
    configuration_changed()
    assert current_configuration() is not first

    settings.CONFIGURATION_MAX_AGE_SECONDS = 0
    second = current_configuration()
    assert current_configuration() is not second
