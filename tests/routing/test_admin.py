"""Operations edit hours, agents and shifts, and product areas in the admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from hub.accounts.models import User
from routing.demo import routing_demo_seed
from routing.models import Agent, ProductArea, ServiceWindow


@pytest.fixture
def roster(db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return routing_demo_seed()


@pytest.mark.parametrize("model", ["servicewindow", "languagewindow", "agent", "productarea"])
def test_each_routing_list_opens_in_the_admin(
    admin_client: Client, roster: list[Agent], model: str
) -> None:
    response = admin_client.get(reverse(f"admin:routing_{model}_changelist"))
    assert response.status_code == 200


def test_an_agent_page_shows_their_shifts_inline(admin_client: Client, roster: list[Agent]) -> None:
    italian = Agent.objects.get(user__email="agent.it@hub.example")
    response = admin_client.get(reverse("admin:routing_agent_change", args=[italian.pk]))
    assert response.status_code == 200
    assert b"shifts-TOTAL_FORMS" in response.content


def test_a_product_area_page_shows_its_translations_inline(
    admin_client: Client, surveys_area: ProductArea
) -> None:
    response = admin_client.get(reverse("admin:routing_productarea_change", args=[surveys_area.pk]))
    assert response.status_code == 200
    assert b"translations-TOTAL_FORMS" in response.content


def test_an_agent_is_added_with_ticked_languages_and_a_shift(
    admin_client: Client, db: None
) -> None:
    staff = User.objects.create_user(
        username="new.agent@hub.example", email="new.agent@hub.example", is_staff=True
    )
    response = admin_client.post(
        reverse("admin:routing_agent_add"),
        {
            "user": staff.pk,
            "team": "general",
            "languages": ["it", "en"],
            "time_zone": "Europe/Rome",
            "available_for_chat": "on",
            "is_active": "on",
            "shifts-TOTAL_FORMS": "1",
            "shifts-INITIAL_FORMS": "0",
            "shifts-MIN_NUM_FORMS": "0",
            "shifts-MAX_NUM_FORMS": "1000",
            "shifts-0-weekday": "0",
            "shifts-0-opens": "08:00",
            "shifts-0-closes": "16:30",
        },
    )
    assert response.status_code == 302, response.content
    agent = Agent.objects.get(user=staff)
    assert agent.languages == ["it", "en"]
    assert agent.shifts.get().closes.hour == 16


def test_hours_that_close_before_they_open_are_refused(admin_client: Client, db: None) -> None:
    response = admin_client.post(
        reverse("admin:routing_servicewindow_add"),
        {
            "channel": "phone",
            "team": "general",
            "weekday": "2",
            "opens": "17:00",
            "closes": "08:00",
            "time_zone": "America/Denver",
        },
    )
    assert response.status_code == 200
    assert "must close after it opens" in response.content.decode()
    assert not ServiceWindow.objects.filter(weekday=2, opens="17:00").exists()


def test_hours_that_run_to_midnight_are_accepted(admin_client: Client, db: None) -> None:
    response = admin_client.post(
        reverse("admin:routing_servicewindow_add"),
        {
            "channel": "phone",
            "team": "enterprise",
            "weekday": "6",
            "opens": "17:00",
            "closes": "00:00",
            "time_zone": "America/Denver",
        },
    )
    assert response.status_code == 302
    assert ServiceWindow.objects.filter(team="enterprise", weekday=6, opens="17:00").exists()


def test_an_unknown_time_zone_is_refused(admin_client: Client, db: None) -> None:
    response = admin_client.post(
        reverse("admin:routing_languagewindow_add"),
        {
            "language": "it",
            "weekday": "0",
            "opens": "08:00",
            "closes": "16:30",
            "time_zone": "Europe/Atlantis",
        },
    )
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
