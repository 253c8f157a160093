"""R-SEATS under concurrency: two brand administrators give the last seat at the same moment.

Two threads, each with its own PostgreSQL connection. A barrier inside the seat count holds
each thread there until the other one arrives (or 2 seconds pass): without the lock on the
organisation row both would count 4 seats and both would take the 5th; with it, the second
waits for the first to commit, counts 5, and is refused.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from hub.accounts import services
from hub.accounts.models import EnterpriseSeat, Organisation, User

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_two_administrators_giving_the_last_seat_at_once_give_it_once(
    make_member: Callable[..., User],
    globex: Organisation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_admin = make_member("a1@globex.example", globex, brand_admin=True)
    second_admin = make_member("a2@globex.example", globex, brand_admin=True)
    for number in range(4):
        services.seat_assign(
            organisation=globex,
            user=make_member(f"held{number}@globex.example", globex),
            by=first_admin,
        )
    candidates = [make_member(f"c{n}@globex.example", globex) for n in range(2)]

    barrier = threading.Barrier(2, timeout=2)
    real_count = services._seats_in_use

    def count_when_both_are_here(organisation: Organisation) -> int:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return real_count(organisation)

    monkeypatch.setattr(services, "_seats_in_use", count_when_both_are_here)

    outcomes: dict[str, str] = {}

    def press(name: str, admin: User, candidate: User) -> None:
        try:
            services.seat_assign(organisation=globex, user=candidate, by=admin)
            outcomes[name] = "given"
        except ValidationError as exc:
            outcomes[name] = exc.messages[0]
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=press, args=("first", first_admin, candidates[0])),
        threading.Thread(target=press, args=("second", second_admin, candidates[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == [
        "All 5 Enterprise Support seats are in use. Release a seat first, or ask your "
        "account team for another Success Package.",
        "given",
    ]
    assert EnterpriseSeat.objects.filter(organisation=globex).count() == 5
