"""A model query compiled once reads back what the ORM's own iteration reads: the same rows,
each column's value converted, select_related's objects in place (a missing one known to be
missing), for whichever arguments each run gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import BooleanField, Count, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from hub.accounts.models import User
from hub.compiled_rows import CompiledModelQuery, CompiledRows
from routing.models import ProductArea
from tests.tickets.history_world import tickets_bulk
from tickets.models import CallbackRequest, Channel, Ticket, TicketEvent
from tickets.search import written_text

pytestmark = pytest.mark.django_db

ORGANISATION, REQUESTER, NUMBER = -1, -2, "<number>"


def _ticket_query() -> CompiledModelQuery[Ticket]:
    return CompiledModelQuery(
        Ticket.objects.filter(organisation_id=ORGANISATION, requester_id=REQUESTER)
        .exclude(verification_required=True, verified_at__isnull=True)
        .select_related("callback", "requester")
        .filter(number=NUMBER),
        {"organisation": ORGANISATION, "requester": REQUESTER, "number": NUMBER},
    )


def test_each_run_reads_what_the_orm_reads_with_its_arguments(
    standard_user: User, brand_admin: User, product_areas: list[ProductArea]
) -> None:
    tickets = tickets_bulk(
        [standard_user, brand_admin], 8, start=datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
    )
    phone = next(ticket for ticket in tickets if ticket.channel == Channel.PHONE)
    callback = CallbackRequest.objects.create(
        ticket=phone,
        language="en",
        product_area=product_areas[0],
        team="general",
        enqueued_at=datetime(2026, 3, 9, 22, 6, tzinfo=UTC),
    )
    query = _ticket_query()
    for ticket in tickets:
        requester = ticket.requester
        arguments = {
            "organisation": requester.membership.organisation_id,
            "requester": requester.pk,
            "number": ticket.number,
        }
        with CaptureQueriesContext(connection) as queries:
            [found] = query.objects(**arguments)
            # Joined, so read without a query, as select_related leaves them.
            found_requester = found.requester
            found_callback = getattr(found, "callback", None)
        assert len(queries) == 1
        expected = Ticket.objects.get(pk=ticket.pk)
        assert {field.attname: getattr(found, field.attname) for field in Ticket._meta.fields} == {
            field.attname: getattr(expected, field.attname) for field in Ticket._meta.fields
        }
        assert found.created_at == datetime(2026, 3, 9, 22, 5, tzinfo=UTC) + (
            ticket.created_at - tickets[0].created_at
        )
        assert found_requester.email == requester.email
        assert found_callback == (callback if ticket.pk == phone.pk else None)
        assert not found._state.adding
    # Another requester's ticket, or none of that number: nothing.
    other = tickets[1]
    assert other.requester_id != standard_user.pk
    assert (
        query.objects(
            organisation=standard_user.membership.organisation_id,
            requester=standard_user.pk,
            number=other.number,
        )
        == []
    )


def test_the_deferred_columns_stay_deferred_and_the_order_is_kept(
    standard_user: User, product_areas: list[ProductArea]
) -> None:
    ticket = tickets_bulk([standard_user], 3, start=datetime(2026, 3, 9, 8, 0, tzinfo=UTC))[0]
    TicketEvent.objects.create(ticket=ticket, kind="comment", data={"attachments": [1, 2]})

    def events(ticket_id: int) -> QuerySet[TicketEvent]:
        return (
            TicketEvent.objects.filter(ticket_id=ticket_id)
            .select_related("actor")
            .only("kind", "data", "created_at", "actor__email")
            .order_by("-pk")
        )

    found = CompiledModelQuery(events(-1), {"ticket": -1}).objects(ticket=ticket.pk)
    expected = list(events(ticket.pk))
    assert len(found) == 3  # the created event, a comment, and this one
    assert [event.pk for event in found] == [event.pk for event in expected]
    assert [event.data for event in found] == [{"attachments": [1, 2]}, {}, {}]
    assert [event.get_deferred_fields() for event in found] == [{"ticket_id", "message"}] * 3
    assert found[0].actor is None
    assert found[2].actor.email == standard_user.email


def test_a_placeholder_must_be_among_the_parameters() -> None:
    with pytest.raises(ValueError, match="none of the statement's parameters"):
        CompiledRows(Ticket.objects.filter(organisation_id=ORGANISATION), {"organisation": -5})


def test_a_placeholder_in_several_places_takes_the_argument_in_each_and_rows_are_counted(
    standard_user: User, brand_admin: User, product_areas: list[ProductArea]
) -> None:
    tickets = tickets_bulk(
        [standard_user, brand_admin], 9, start=datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    )

    def before(ticket_id: int) -> QuerySet[Ticket]:
        # The requester's tickets made before this one: the ticket's id twice.
        mine = Ticket.objects.filter(pk=ticket_id)
        return Ticket.objects.filter(
            requester_id=Subquery(mine.values("requester_id")[:1]),
            created_at__lt=Subquery(mine.values("created_at")[:1]),
        )

    counted = CompiledRows(before(-1).values("pk"), {"ticket": -1}, counted=True)
    for ticket in tickets:
        assert counted.count(ticket=ticket.pk) == before(ticket.pk).count()
    assert [counted.count(ticket=ticket.pk) for ticket in tickets[-2:]] == [3, 4]


def test_a_run_names_every_argument_and_no_other() -> None:
    query = _ticket_query()
    with pytest.raises(TypeError, match="takes"):
        query.objects(organisation=1, number="CS-1")
    with pytest.raises(TypeError, match="takes"):
        query.objects(organisation=1, requester=2, number="CS-1", extra=3)


@pytest.mark.parametrize(
    "queryset",
    [
        Ticket.objects.filter(organisation_id=ORGANISATION).values("number"),
        Ticket.objects.filter(organisation_id=ORGANISATION).prefetch_related("events"),
        Ticket.objects.filter(organisation_id=ORGANISATION).annotate(event_count=Count("events")),
    ],
    ids=["values", "prefetch", "annotation"],
)
def test_only_model_instances_are_read(queryset: QuerySet[Ticket]) -> None:
    with pytest.raises(ValueError, match="model instances only"):
        CompiledModelQuery(queryset, {"organisation": ORGANISATION})


@pytest.mark.parametrize(
    ("order", "first", "cap"),
    [
        (("-created_at", "-pk"), 3, 10),
        (("created_at", "pk"), 3, 10),
        (("-updated_at", "pk"), 5, 4),
        (("subject", "-pk"), 20, 15),
    ],
)
def test_the_first_rows_are_read_beside_the_count_of_all_the_capped_rows(
    standard_user: User,
    brand_admin: User,
    order: tuple[str, ...],
    first: int,
    cap: int,
) -> None:
    tickets_bulk([standard_user, brand_admin], 12, start=datetime(2026, 3, 9, 22, 5, tzinfo=UTC))

    def capped(organisation: int) -> QuerySet[Ticket, tuple[object, ...]]:
        return (
            Ticket.objects.filter(organisation_id=organisation)
            .order_by(*order)
            .values_list("pk", "number", "subject", "created_at", "updated_at")[:cap]
        )

    statement = CompiledRows(
        capped(ORGANISATION), {"organisation": ORGANISATION}, first_counted=first
    )
    organisation = standard_user.membership.organisation_id
    with CaptureQueriesContext(connection) as queries:
        rows, count = statement.rows_and_count(organisation=organisation)
    assert len(queries) == 1
    assert [tuple(row) for row in rows] == list(capped(organisation))[:first]
    assert count == capped(organisation).count() == min(cap, 12)
    assert statement.rows_and_count(organisation=-99) == ([], 0)


def test_rows_read_beside_their_count_need_an_order_of_selected_columns() -> None:
    unordered = Ticket.objects.filter(organisation_id=ORGANISATION).order_by()
    with pytest.raises(ValueError, match="needs an order"):
        CompiledRows(
            unordered.values_list("pk")[:5], {"organisation": ORGANISATION}, first_counted=2
        )
    hidden = Ticket.objects.filter(organisation_id=ORGANISATION).order_by("created_at")
    with pytest.raises(ValueError, match="not selected"):
        CompiledRows(hidden.values_list("pk")[:5], {"organisation": ORGANISATION}, first_counted=2)


def test_a_text_written_into_the_statement_is_each_runs_own(
    standard_user: User, brand_admin: User
) -> None:
    """A statement compiled with a placeholder's text takes each run's text in its place:
    quoted, percent signs and quotes included, and no run's text stays for the next."""
    tickets = tickets_bulk(
        [standard_user, brand_admin], 4, start=datetime(2026, 3, 9, 8, tzinfo=UTC)
    )
    odd = tickets[3]
    Ticket.objects.filter(pk=odd.pk).update(subject="It's 100% down; DROP TABLE x --")
    placeholder = written_text("<subject>")

    def subject_is(text: str) -> QuerySet[Ticket, dict[str, object]]:
        condition = RawSQL(f'"tickets_ticket"."subject" = {text}', (), output_field=BooleanField())
        return Ticket.objects.filter(condition, organisation_id=ORGANISATION).values("number")

    statement = CompiledRows(
        subject_is(placeholder), {"organisation": ORGANISATION}, texts={"subject": placeholder}
    )
    organisation = standard_user.membership.organisation_id
    for ticket in [*tickets, tickets[0]]:
        ticket.refresh_from_db()
        texts = {"subject": written_text(ticket.subject)}
        assert statement.rows(texts, organisation=organisation) == [[ticket.number]]
    assert statement.rows({"subject": written_text("nothing")}, organisation=organisation) == []
    with pytest.raises(TypeError, match="texts"):
        statement.rows(organisation=organisation)
    with pytest.raises(ValueError, match="not in the statement"):
        CompiledRows(
            subject_is(written_text("other")),
            {"organisation": ORGANISATION},
            texts={"subject": placeholder},
        )
