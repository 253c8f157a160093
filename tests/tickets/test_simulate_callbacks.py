"""`manage.py simulate_callbacks`: the roster, the measured arrivals and handle times in, the
quoted against the simulated waits out, per queue."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from hub.accounts.models import User
from routing.models import Agent, ProductArea
from tests.hub import contact_world
from tickets.models import CallbackRequest, Channel, Team, Ticket
from tickets.numbering import next_ticket_number
from tickets.queues import callback_arrival_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None, product_areas: list[ProductArea]) -> list[Agent]:
    return contact_world.open_world()


def past_callbacks(requester: User, area: ProductArea, *, count: int) -> None:
    """Callbacks of the last two weeks, every 20 minutes on and off."""
    start = timezone.now() - timedelta(days=14) + timedelta(hours=1)
    for n in range(count):
        ticket = Ticket.objects.create(
            number=next_ticket_number(),
            requester=requester,
            organisation=requester.membership.organisation,
            team=Team.TECHNICAL,
            product_area=area,
            channel=Channel.PHONE,
            language="en",
            subject="A past callback",
            phone_number="+442079460000",
        )
        CallbackRequest.objects.create(
            ticket=ticket,
            language="en",
            product_area=area,
            team="general",
            enqueued_at=start + timedelta(minutes=20 * n),
            taken_at=start + timedelta(minutes=20 * n + 3),
        )


def test_the_arrivals_are_measured_per_weekday_and_hour_as_a_weekly_rate(
    world: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    past_callbacks(standard_user, surveys_area, count=6)
    profile = callback_arrival_profile(
        since=timezone.now() - timedelta(weeks=2), until=timezone.now()
    )
    rates = profile[("en", surveys_area.pk, "general")]
    # Six callbacks over two hours, in two weeks: three an hour every hour of a week is 1.5.
    assert sum(rates.values()) == pytest.approx(3.0)
    assert {round(rate, 6) for rate in rates.values()} <= {0.5, 1.0, 1.5}


def test_the_command_compares_quoted_and_simulated_waits_per_queue(
    world: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    past_callbacks(standard_user, surveys_area, count=3 * 24 * 7)
    out = StringIO()
    call_command("simulate_callbacks", "--weeks=2", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("estimate")
    queue = f"en/{surveys_area.pk}/general"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["Erlang", "C"],
        ["corrected", queue],
    ]
    assert queue in lines[1]
