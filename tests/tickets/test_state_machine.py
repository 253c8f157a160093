from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from hub.accounts.models import User
from tickets import states
from tickets.models import Channel, EventKind, Status, Team, Ticket
from tickets.services import TicketLocked, ticket_create, ticket_transition

ALLOWED = [
    ("new", "queued"), ("new", "in_progress"), ("new", "solved"), ("new", "closed"),
    ("queued", "in_progress"), ("queued", "solved"), ("queued", "closed"),
    ("in_progress", "queued"), ("in_progress", "waiting_on_customer"),
    ("in_progress", "solved"), ("in_progress", "closed"),
    ("waiting_on_customer", "in_progress"), ("waiting_on_customer", "solved"),
    ("waiting_on_customer", "closed"),
    ("solved", "in_progress"), ("solved", "closed"),
]  # fmt: skip


@pytest.mark.parametrize(("current", "target"), [(a, b) for a in Status for b in Status])
def test_the_transition_table_is_exactly_the_one_we_mean(current: str, target: str) -> None:
    assert states.can_move(current, target) == ((current, target) in ALLOWED)


def test_a_closed_ticket_never_moves_again() -> None:
    assert states.allowed_next(Status.CLOSED) == frozenset()


@given(st.lists(st.sampled_from(list(Status)), max_size=12))
def test_following_only_allowed_moves_never_leaves_closed(path: list[str]) -> None:
    current: str = Status.NEW
    closed_seen = False
    for target in path:
        if states.can_move(current, target):
            assert not closed_seen
            current = target
            closed_seen = current == Status.CLOSED


@pytest.fixture
def ticket(standard_user: User) -> Ticket:
    return ticket_create(
        requester=standard_user, channel=Channel.EMAIL, team=Team.TECHNICAL, subject="Export"
    )


@pytest.mark.django_db
def test_a_status_change_is_recorded_on_the_timeline(ticket: Ticket, agent: User) -> None:
    ticket_transition(ticket=ticket, to=Status.IN_PROGRESS, actor=agent)
    ticket_transition(ticket=ticket, to=Status.SOLVED, actor=agent, note="Fixed the export")
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.solved_at is not None
    changes = ticket.events.filter(kind=EventKind.STATUS_CHANGED).order_by("pk")
    assert [(e.data["old"], e.data["new"]) for e in changes] == [
        ("new", "in_progress"),
        ("in_progress", "solved"),
    ]
    assert changes.last().message == "Fixed the export"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_a_forbidden_move_is_refused_and_changes_nothing(ticket: Ticket, agent: User) -> None:
    ticket_transition(ticket=ticket, to=Status.CLOSED, actor=agent)
    with pytest.raises(ValidationError):
        ticket_transition(ticket=ticket, to=Status.IN_PROGRESS, actor=agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.events.filter(kind=EventKind.STATUS_CHANGED).count() == 1


@pytest.mark.django_db
def test_an_unverified_ticket_refuses_every_status_change(standard_user: User, agent: User) -> None:
    locked = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.ENTERPRISE,
        subject="Passed on by a TSM",
        verification_required=True,
    )
    for target in Status:
        with pytest.raises(TicketLocked):
            ticket_transition(ticket=locked, to=target, actor=agent)
    locked.refresh_from_db()
    assert locked.status == Status.NEW
