"""The one state machine for ticket status. Every change of status goes through `allowed_next`."""

from __future__ import annotations

from tickets.models import Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.QUEUED, Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED}),
    Status.QUEUED: frozenset({Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset(
        {Status.QUEUED, Status.WAITING_ON_CUSTOMER, Status.SOLVED, Status.CLOSED}
    ),
    Status.WAITING_ON_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED}),
    # A solved ticket reopens when the customer writes again; a closed one stays closed.
    Status.SOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def allowed_next(current: str) -> frozenset[str]:
    return TRANSITIONS.get(current, frozenset())


def can_move(current: str, target: str) -> bool:
    return target in allowed_next(current)
