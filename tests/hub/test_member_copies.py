"""A signed-in page reads the member's membership, organisation and seats from a copy on Redis
that comes with the session; whatever changes them is seen at the next page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import hub.cache
import hub.sessions
from hub.accounts import user_copies
from hub.accounts.models import EnterpriseSeat, Membership, Organisation, User
from hub.accounts.selectors import _member_values, member_row
from hub.accounts.services import membership_roles_update
from hub.sessions import move_epoch_on
from tests.hub.conftest import copy_markers_lapsed

SERVICES_LINK = 'href="/hub/your-services/"'
ORGANISATION_LIST = "Your organisation’s requests"


pytestmark = pytest.mark.usefixtures("redis_copies")


def _signed_in_with_copies(client: Client, user: User) -> None:
    client.force_login(user)
    copy_markers_lapsed(user)
    assert client.get("/hub/").status_code == 200


def _membership_queries(client: Client, path: str = "/hub/") -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    reads = [q for q in queries.captured_queries if '"hub_membership"' in q["sql"]]
    return len(reads), response.content.decode()


@pytest.mark.django_db
def test_after_a_first_page_the_hub_home_reads_nothing_from_the_database(
    client: Client, seat_holder: User
) -> None:
    _signed_in_with_copies(client, seat_holder)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/hub/")
    assert response.status_code == 200
    # The session, the user and the membership all came from Redis, in one round trip.
    assert queries.captured_queries == []
    assert SERVICES_LINK in response.content.decode()


@pytest.mark.django_db
def test_a_seat_given_or_taken_back_is_seen_at_the_next_page(
    client: Client, make_member: object, globex: Organisation
) -> None:
    member = make_member("new@globex.example", globex)  # type: ignore[operator]
    _signed_in_with_copies(client, member)
    reads, page = _membership_queries(client)
    assert reads == 0 and SERVICES_LINK not in page

    EnterpriseSeat.objects.create(user=member, organisation=globex)
    reads, page = _membership_queries(client)
    assert reads == 1 and SERVICES_LINK in page

    EnterpriseSeat.objects.filter(user=member).delete()
    assert SERVICES_LINK not in _membership_queries(client)[1]


@pytest.mark.django_db
def test_an_organisation_changed_reaches_every_members_copy(
    client: Client, seat_holder: User, make_member: object, globex: Organisation
) -> None:
    colleague = make_member("colleague@globex.example", globex, seat=True)  # type: ignore[operator]
    other = Client()
    _signed_in_with_copies(client, seat_holder)
    _signed_in_with_copies(other, colleague)
    assert SERVICES_LINK in _membership_queries(client)[1]

    globex.success_packages = 0
    globex.save()
    for each in (client, other):
        reads, page = _membership_queries(each)
        assert reads == 1 and SERVICES_LINK not in page


@pytest.mark.django_db
def test_a_brand_administrator_whose_role_is_taken_away_stops_seeing_the_organisation_at_once(
    client: Client, brand_admin: User, make_member: object, acme: Organisation
) -> None:
    other_admin = make_member("second@acme.example", acme, brand_admin=True)  # type: ignore[operator]
    _signed_in_with_copies(client, brand_admin)
    assert ORGANISATION_LIST in _membership_queries(client, "/hub/tickets/")[1]

    membership_roles_update(
        membership=Membership.objects.get(user=brand_admin),
        by=other_admin,
        is_brand_admin=False,
        is_billing_contact=False,
        is_primary_contact=False,
    )
    assert ORGANISATION_LIST not in _membership_queries(client, "/hub/tickets/")[1]


@pytest.mark.django_db
def test_a_member_removed_from_the_organisation_is_no_member_at_the_next_page(
    client: Client, standard_user: User
) -> None:
    _signed_in_with_copies(client, standard_user)
    assert 'action="/hub/"' in _membership_queries(client)[1]
    Membership.objects.filter(user=standard_user).delete()
    reads, page = _membership_queries(client)
    assert reads == 1
    assert 'action="/hub/"' not in page and "not a member of a customer organisation" in page


@pytest.mark.django_db
def test_someone_in_no_organisation_is_remembered_as_such(
    client: Client, agent: User, acme: Organisation
) -> None:
    _signed_in_with_copies(client, agent)
    assert _membership_queries(client)[0] == 0
    Membership.objects.create(user=agent, organisation=acme)
    reads, page = _membership_queries(client)
    assert reads == 1 and 'action="/hub/"' in page


@pytest.mark.django_db
def test_a_read_from_before_a_change_does_not_put_the_old_membership_back(
    brand_admin: User,
) -> None:
    def read_then_changed_meanwhile(user_id: int) -> list[object] | None:
        values = _member_values(user_id)
        # Another request takes the role away after this one read the row.
        Membership.objects.filter(user_id=user_id).update(is_brand_admin=False)
        user_copies.members_changed([user_id])
        return values

    copy_markers_lapsed(brand_admin)
    old = user_copies.member_read(brand_admin.pk, read_then_changed_meanwhile)
    assert old is not None
    again = member_row(brand_admin.pk)
    assert again is not None and not again.membership.is_brand_admin


@pytest.mark.django_db
def test_a_membership_copy_from_an_older_generation_is_not_believed(
    brand_admin: User,
) -> None:
    copy_markers_lapsed(brand_admin)
    first = member_row(brand_admin.pk)
    assert first is not None and first.membership.is_brand_admin
    # Changed while Redis could not be told: the generation moves on.
    Membership.objects.filter(user=brand_admin).update(is_brand_admin=False)
    move_epoch_on()
    cache.delete("hub.sessions.epoch")
    again = member_row(brand_admin.pk)
    assert again is not None and not again.membership.is_brand_admin


@pytest.mark.django_db
def test_with_redis_away_the_membership_is_read_from_the_database_every_time(
    brand_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_markers_lapsed(brand_admin)
    monkeypatch.setattr(hub.cache, "_away_until", float("inf"))
    with CaptureQueriesContext(connection) as queries:
        assert member_row(brand_admin.pk) is not None
        assert member_row(brand_admin.pk) is not None
    assert sum('"hub_membership"' in q["sql"] for q in queries.captured_queries) == 2


@pytest.mark.django_db
def test_a_change_redis_could_not_be_told_of_moves_the_generation_on(
    brand_admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_markers_lapsed(brand_admin)
    member_row(brand_admin.pk)
    before = hub.sessions._epoch_from_database()
    monkeypatch.setattr(hub.cache, "_away_until", float("inf"))
    user_copies.members_changed([brand_admin.pk])
    assert hub.sessions._epoch_from_database() > before


def test_a_membership_copy_read_with_one_session_is_handed_over_once_and_only_for_its_user() -> (
    None
):
    hub.sessions._member_read_with_session.set(("7", 3, b"copy"))
    assert hub.sessions.member_copy_read_with_session(8) is None
    assert hub.sessions.member_copy_read_with_session(7) == (3, b"copy")
    assert hub.sessions.member_copy_read_with_session(7) is None
