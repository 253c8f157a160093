"""A conference-call slot is never booked twice, even by customers pressing at the same moment.

Threads, each with its own PostgreSQL connection. A barrier inside the host look-up holds
every thread there until all have arrived: each has seen the same specialists free, and
each inserts its booking. The unique (host, starts_at) constraint lets one booking per
specialist in; a thread that loses tries the next free specialist and, with none left,
gets "that time has just been taken" with its ticket rolled back: nothing half-saved.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from hub.accounts.models import Organisation, User
from routing.models import Agent, ProductArea
from routing.selectors import conference_slots_for
from tests.hub import contact_world
from tickets import services
from tickets.models import Channel, ConferenceBooking, Ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent inserts need PostgreSQL"
)
TAKEN = "That time has just been taken. Choose another time."


def first_free_slot() -> datetime:
    now = timezone.now()
    return conference_slots_for(start=now, end=now + timedelta(days=14))[0]


def book_at_once(
    users: list[User], area: ProductArea, slot: datetime, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    barrier = threading.Barrier(len(users), timeout=3)
    real_hosts = services.conference_hosts_free

    def hosts_when_everyone_is_here(*, starts_at: datetime) -> list[Agent]:
        hosts = real_hosts(starts_at=starts_at)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return hosts

    monkeypatch.setattr(services, "conference_hosts_free", hosts_when_everyone_is_here)
    outcomes: dict[str, str] = {}

    def press(user: User) -> None:
        try:
            ticket = services.conference_book(
                requester=user,
                product_area=area,
                language="en",
                starts_at=slot,
                screen_sharing=False,
                subject="Dashboard review",
                idempotency_key=f"{user.pk:032x}",
            )
            outcomes[user.email] = f"booked {ticket.number}"
        except ValidationError as error:
            outcomes[user.email] = error.messages[0]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def seat_holders(make_member: Callable[..., User], globex: Organisation) -> list[User]:
    return [make_member(f"seat{n}@globex.example", globex, seat=True) for n in range(3)]


@pytest.mark.django_db(transaction=True)
def test_two_customers_booking_the_last_place_at_once_get_one_booking_and_one_clear_error(
    seat_holders: list[User],
    surveys_area: ProductArea,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contact_world.open_world()  # one Enterprise specialist: one place per slot
    slot = first_free_slot()
    first, second = seat_holders[:2]

    outcomes = book_at_once([first, second], surveys_area, slot, monkeypatch)

    assert sorted(outcome.split(" ")[0] for outcome in outcomes.values()) == ["That", "booked"]
    assert TAKEN in outcomes.values()
    booking = ConferenceBooking.objects.get()
    assert booking.starts_at == slot
    winner = booking.ticket.requester
    loser = second if winner == first else first
    # Nothing half-saved: the loser has no ticket, no timeline, no booking.
    assert not Ticket.objects.filter(requester=loser).exists()
    assert Ticket.objects.filter(channel=Channel.CONFERENCE).count() == 1
    assert slot not in conference_slots_for(
        start=slot, end=slot + timedelta(minutes=1), booked=[slot]
    )


@pytest.mark.django_db(transaction=True)
def test_with_two_specialists_the_loser_of_a_race_gets_the_other_one(
    seat_holders: list[User],
    surveys_area: ProductArea,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contact_world.open_world()
    second_specialist = contact_world.agent_add(
        "specialist2@hub.example", team="enterprise", languages=["en"]
    )
    slot = first_free_slot()

    outcomes = book_at_once(seat_holders, surveys_area, slot, monkeypatch)

    assert sorted(outcome.split(" ")[0] for outcome in outcomes.values()) == [
        "That",
        "booked",
        "booked",
    ]
    hosts = set(ConferenceBooking.objects.filter(starts_at=slot).values_list("host", flat=True))
    assert len(hosts) == 2 and second_specialist.pk in hosts
    assert Ticket.objects.filter(channel=Channel.CONFERENCE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_twice_at_once_books_once(
    seat_holders: list[User],
    surveys_area: ProductArea,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A double click: two requests, one idempotency key, one ticket and one booking."""
    contact_world.open_world()
    contact_world.agent_add("specialist2@hub.example", team="enterprise", languages=["en"])
    slot = first_free_slot()
    user = seat_holders[0]

    outcomes: list[str] = []
    barrier = threading.Barrier(2, timeout=3)
    real_hosts = services.conference_hosts_free

    def hosts_when_both_are_here(*, starts_at: datetime) -> list[Agent]:
        hosts = real_hosts(starts_at=starts_at)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return hosts

    monkeypatch.setattr(services, "conference_hosts_free", hosts_when_both_are_here)

    def press() -> None:
        try:
            ticket = services.conference_book(
                requester=user,
                product_area=surveys_area,
                language="en",
                starts_at=slot,
                screen_sharing=True,
                subject="Dashboard review",
                idempotency_key="f" * 32,
            )
            outcomes.append(ticket.number)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes[0] == outcomes[1]
    assert ConferenceBooking.objects.count() == 1
    assert Ticket.objects.filter(requester=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_confirmation_email_gives_the_booked_time_in_the_customers_zone(
    seat_holders: list[User], surveys_area: ProductArea
) -> None:
    from zoneinfo import ZoneInfo

    from django.core import mail

    contact_world.open_world()
    slot = first_free_slot()
    customer = seat_holders[0]
    customer.time_zone = "Asia/Tokyo"
    customer.save(update_fields=["time_zone"])
    services.conference_book(
        requester=customer, product_area=surveys_area, language="en", starts_at=slot,
        screen_sharing=True, subject="Dashboard review",
    )  # fmt: skip
    (message,) = [m for m in mail.outbox if "Dashboard review" in m.subject]
    local = slot.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{local:%H:%M} JST" in message.body
    assert "conference call is booked" in message.body
