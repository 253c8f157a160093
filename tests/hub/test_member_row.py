"""The member as the flow's first read sees them: one written-out statement, whose values
come back as the ORM would give them, on PostgreSQL and on SQLite alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from hub.accounts.models import EnterpriseSeat, Membership, Organisation, User
from hub.accounts.selectors import member_row


@pytest.mark.smoke
@pytest.mark.django_db
@pytest.mark.parametrize("seat", [False, True], ids=["no seat", "seat"])
def test_the_member_row_reads_as_the_orm_does(
    make_member: Callable[..., User], globex: Organisation, seat: bool
) -> None:
    user = make_member("ada@globex.example", globex, seat=seat, brand_admin=True)
    row = member_row(user.pk)
    assert row is not None
    expected = Membership.objects.select_related("organisation").get(user=user)
    membership = row.membership
    assert membership.pk == expected.pk and membership.is_brand_admin is True
    assert membership.is_billing_contact is False
    assert isinstance(membership.joined_at, datetime) and membership.joined_at.tzinfo
    assert membership.joined_at == expected.joined_at
    organisation = membership.organisation
    assert organisation.pk == globex.pk and organisation.name == globex.name
    assert organisation.licence_tier == globex.licence_tier
    assert organisation.success_packages == globex.success_packages
    assert organisation.created_at == expected.organisation.created_at
    assert (row.seat_in_organisation, row.seat_anywhere) == (seat, seat)


@pytest.mark.django_db
def test_a_seat_in_another_organisation_counts_only_as_a_seat_somewhere(
    make_member: Callable[..., User], acme: Organisation, globex: Organisation
) -> None:
    user = make_member("bob@acme.example", acme)
    EnterpriseSeat.objects.create(organisation=globex, user=user)
    row = member_row(user.pk)
    assert row is not None
    assert (row.seat_in_organisation, row.seat_anywhere) == (False, True)


@pytest.mark.django_db
def test_staff_and_strangers_have_no_member_row(agent: User) -> None:
    assert member_row(agent.pk) is None
    assert member_row(10**9) is None
