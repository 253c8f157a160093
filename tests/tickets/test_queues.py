"""The queue facts the contact offers read: live where a customer would notice, refreshed by
beat where an hour's figure moves slowly, and as cheap at 100,000 tickets as at 1,000."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hub.accounts.models import User
from routing.demo import routing_demo_seed
from routing.models import Agent, ProductArea
from routing.policy import Method, Team
from routing.selectors import average_handle_seconds, contact_offers_for, member_facts
from tests.routing.measured import offers_for
from tests.tickets.chat_world import open_chat
from tickets.models import CallbackRequest, Channel, ChatSession, QueueStatistic, Status, Ticket
from tickets.numbering import next_ticket_number
from tickets.queues import callback_facts, queue_facts, queue_statistics_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(product_areas: list[ProductArea]) -> list[Agent]:
    return routing_demo_seed()


def _callback(user: User, area: ProductArea, *, minutes_ago: int, taken: bool = False) -> None:
    now = timezone.now()
    ticket = Ticket.objects.create(
        number=next_ticket_number(),
        requester=user,
        organisation=user.membership.organisation,
        team="technical",
        product_area=area,
        channel=Channel.PHONE,
        phone_number="+442079460018",
        language="en",
        subject="The survey will not send",
        status=Status.IN_PROGRESS if taken else Status.QUEUED,
    )
    CallbackRequest.objects.create(
        ticket=ticket,
        language="en",
        product_area=area,
        team="general",
        enqueued_at=now - timedelta(minutes=minutes_ago),
        taken_at=now if taken else None,
    )


def test_a_new_callback_lengthens_the_next_offer_at_once_without_a_refresh(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    now = timezone.now()
    queue_statistics_refresh(now=now)
    facts = queue_facts(area_id=surveys_area.pk, languages={"en"}, now=timezone.now())
    assert facts.counts.get((Method.PHONE, "en", Team.GENERAL), (0, 0)) == (0, 0)
    _callback(standard_user, surveys_area, minutes_ago=0)
    facts = queue_facts(area_id=surveys_area.pk, languages={"en"}, now=timezone.now())
    # Waiting counts are live; the hour's arrivals wait for beat's next refresh.
    assert facts.counts[(Method.PHONE, "en", Team.GENERAL)] == (1, 0)
    queue_statistics_refresh(now=timezone.now())
    facts = queue_facts(area_id=surveys_area.pk, languages={"en"}, now=timezone.now())
    assert facts.counts[(Method.PHONE, "en", Team.GENERAL)] == (1, 1)


def test_a_waiting_chat_counts_until_an_agent_accepts_it(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    chat = open_chat(standard_user, surveys_area, "The export stops")
    facts = queue_facts(area_id=surveys_area.pk, languages={"en"}, now=timezone.now())
    assert facts.counts[(Method.CHAT, "en", Team.GENERAL)][0] == 1
    ChatSession.objects.filter(pk=chat.pk).update(ended_at=timezone.now(), end_reason="customer")
    facts = queue_facts(area_id=surveys_area.pk, languages={"en"}, now=timezone.now())
    assert facts.counts.get((Method.CHAT, "en", Team.GENERAL), (0, 0))[0] == 0


def test_the_statistics_are_replaced_not_added_to(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    for minutes in (30, 20, 10):
        _callback(standard_user, surveys_area, minutes_ago=minutes, taken=True)
    now = timezone.now()
    first = queue_statistics_refresh(now=now)
    assert queue_statistics_refresh(now=now) == first == QueueStatistic.objects.count()
    facts = queue_facts(area_id=surveys_area.pk, languages={"en"}, now=now)
    assert facts.counts[(Method.PHONE, "en", Team.GENERAL)] == (0, 3)


def test_handle_times_come_from_the_last_refresh(
    roster: list[Agent], standard_user: User, surveys_area: ProductArea
) -> None:
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            number=next_ticket_number(), requester=standard_user,
            organisation=standard_user.membership.organisation, team="technical",
            product_area=surveys_area, channel=Channel.PHONE, phone_number="+442079460018",
            language="en", subject="Solved", status=Status.SOLVED,
            solved_at=now - timedelta(hours=n + 1),
        )
        for n in range(20)
    )  # fmt: skip
    CallbackRequest.objects.bulk_create(
        CallbackRequest(
            ticket=ticket, language="en", product_area=surveys_area, team="general",
            enqueued_at=ticket.solved_at - timedelta(minutes=10),  # type: ignore[operator]
            taken_at=ticket.solved_at - timedelta(minutes=4),  # type: ignore[operator]
        )
        for ticket in tickets
    )  # fmt: skip

    def measured() -> float:
        return average_handle_seconds(
            Method.PHONE,
            language="en",
            area_id=surveys_area.pk,
            team=Team.GENERAL,
            queues=callback_facts(now),
        )

    assert measured() == 480  # not refreshed yet: the default
    queue_statistics_refresh(now=now)
    assert measured() == pytest.approx(240)


def test_beat_refreshes_the_statistics_every_few_seconds() -> None:
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "tickets.tasks.refresh_queue_statistics"
    )
    assert entry["schedule"] <= 10


# --- The method picker's cost against the volume of tickets ---------------------------------


BULK_FIRST = 9_000_000  # bulk tickets' numbers start here, apart from the sequence's
COPY_STRIDE = 10_000  # the k-th copy of ticket n is numbered n + k × COPY_STRIDE


def _grow(user: User, areas: list[ProductArea], agent: Agent, *, to: int) -> None:
    """Tickets up to ``to`` in the member's organisation, finished over the last two years
    (as a busy organisation's history is): callbacks taken and chats ended among them."""
    chooser = random.Random(to)
    have = Ticket.objects.count()
    now = timezone.now()
    batch = []
    for n in range(to - have):
        channel = chooser.choice([Channel.EMAIL, Channel.PHONE, Channel.CHAT, Channel.WEB])
        batch.append(
            Ticket(
                number=f"CS-{BULK_FIRST + n}",
                requester=user,
                organisation_id=user.membership.organisation_id,
                team=chooser.choice(["technical", "technical", "enterprise"]),
                product_area=chooser.choice(areas),
                channel=channel,
                language=chooser.choice(["en", "en", "it", "de"]),
                subject="Survey export stops",
                status=Status.SOLVED,
                solved_at=now - timedelta(days=90) * chooser.random(),
                phone_number="+442079460018" if channel == Channel.PHONE else "",
            )
        )
    tickets = Ticket.objects.bulk_create(batch)
    CallbackRequest.objects.bulk_create(
        CallbackRequest(
            ticket=ticket, language=ticket.language, product_area=ticket.product_area,
            team="general" if ticket.team == "technical" else "enterprise",
            enqueued_at=ticket.solved_at - timedelta(minutes=30),  # type: ignore[operator]
            taken_at=ticket.solved_at - timedelta(minutes=8),  # type: ignore[operator]
        )
        for ticket in tickets
        if ticket.channel == Channel.PHONE
    )  # fmt: skip
    ChatSession.objects.bulk_create(
        ChatSession(
            ticket=ticket, accepted_at=ticket.solved_at, ended_at=ticket.solved_at,
            end_reason="agent", agent_id=agent.user_id,
        )
        for ticket in tickets
        if ticket.channel == Channel.CHAT
    )  # fmt: skip


def _copy_columns(
    model: type[Any], *, alias: str, shift: str, replace: dict[str, str]
) -> tuple[str, str]:
    """The column list of an INSERT … SELECT copying ``model``'s rows named ``alias``: every
    column but the id, times moved back by ``shift``, ``replace``d ones computed."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names.append(connection.ops.quote_name(field.column))
        if field.column in replace:
            values.append(replace[field.column])
        elif field.get_internal_type() == "DateTimeField":
            values.append(f"{alias}.{field.column} - {shift}")
        else:
            values.append(f"{alias}.{field.column}")
    return ", ".join(names), ", ".join(values)


def _multiply(copies: int) -> None:
    """Copy the bulk tickets, their callbacks and chats ``copies`` times in SQL, each copy a
    week further back, so that the history is a hundred times longer in seconds."""
    shift = "g.k * interval '7 days'"
    copied = f"'CS-' || (substr(t.number, 4)::bigint + g.k * {COPY_STRIDE})"
    with connection.cursor() as cursor:
        names, values = _copy_columns(Ticket, alias="t", shift=shift, replace={"number": copied})
        cursor.execute(
            f"INSERT INTO tickets_ticket ({names}) SELECT {values} "
            f"FROM tickets_ticket t, generate_series(1, %s) AS g(k) "
            f"WHERE substr(t.number, 4)::bigint BETWEEN %s AND %s",
            [copies, BULK_FIRST, BULK_FIRST + COPY_STRIDE - 1],
        )
        for model in (CallbackRequest, ChatSession):
            names, values = _copy_columns(
                model, alias="r", shift=shift, replace={"ticket_id": "c.id"}
            )
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} ({names}) SELECT {values} "
                f"FROM {model._meta.db_table} r "
                f"JOIN tickets_ticket t ON t.id = r.ticket_id "
                f"CROSS JOIN generate_series(1, %s) AS g(k) "
                f"JOIN tickets_ticket c ON c.number = {copied} "
                f"WHERE substr(t.number, 4)::bigint BETWEEN %s AND %s",
                [copies, BULK_FIRST, BULK_FIRST + COPY_STRIDE - 1],
            )
        cursor.execute("ANALYZE")


def _rows_touched(plan: dict[str, Any]) -> int:
    """Rows every node of a plan produced, over all its loops."""
    own = int(plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1))
    return own + sum(_rows_touched(child) for child in plan.get("Plans", ()))


def _picker_cost(user: User, area: ProductArea) -> tuple[int, int, list[str]]:
    """What the method picker's reads cost: (queries, rows their plans touched, the SQL)."""
    now = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        member = member_facts(user)
        queues = queue_facts(area_id=area.pk, languages={"en"}, now=now)
        contact_offers_for(member, area=area, language="en", now=now, queues=queues)
    statements = [query["sql"] for query in captured.captured_queries]
    return len(statements), _planned_rows(statements, _rows_touched), statements


def _planned_rows(statements: list[str], count: Callable[[dict[str, Any]], int]) -> int:
    """The rows ``count`` finds in the plans of these statements, each run to be measured."""
    rows = 0
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            (document,) = cursor.fetchone()
            plan = document if isinstance(document, list) else json.loads(document)
            rows += count(plan[0]["Plan"])
    return rows


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_the_method_pickers_reads_do_not_grow_with_the_tickets(
    roster: list[Agent],
    standard_user: User,
    surveys_area: ProductArea,
    product_areas: list[ProductArea],
) -> None:
    # The queue as it stands: a few callbacks and chats waiting, whatever the history.
    for minutes in (12, 7, 3):
        _callback(standard_user, surveys_area, minutes_ago=minutes)
    for n in range(2):
        open_chat(standard_user, surveys_area, f"Still waiting {n}")
    _grow(standard_user, product_areas, roster[0], to=1_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    queue_statistics_refresh(now=timezone.now())
    offers_for(standard_user, area=surveys_area, language="en", now=timezone.now())
    small_queries, small_rows, _ = _picker_cost(standard_user, surveys_area)

    _multiply(100)
    queue_statistics_refresh(now=timezone.now())
    large_queries, large_rows, statements = _picker_cost(standard_user, surveys_area)

    assert Ticket.objects.count() > 100_000
    assert large_queries == small_queries
    # The same rows, give or take what a different plan reads on a table a hundred times
    # larger: nothing that scales with the history.
    assert large_rows <= small_rows + 20, "\n\n".join(statements)


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows every node of a plan read, over all its loops: those it produced and those its
    filters threw away."""
    read = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
    read += plan.get("Rows Removed by Index Recheck", 0)
    own = int(read * plan.get("Actual Loops", 1))
    return own + sum(_rows_read(child) for child in plan.get("Plans", ()))


def _refresh_reads() -> tuple[int, list[str]]:
    """The rows the statistics' refresh reads (its reads, not its writes), and its SQL."""
    with CaptureQueriesContext(connection) as captured:
        queue_statistics_refresh(now=timezone.now())
    statements = [
        query["sql"] for query in captured.captured_queries if query["sql"].startswith("SELECT")
    ]
    return _planned_rows(statements, _rows_read), statements


def _emailed_now(user: User, area: ProductArea, count: int) -> None:
    first = Ticket.objects.count()
    Ticket.objects.bulk_create(
        Ticket(
            number=f"CS-{BULK_FIRST + n}",
            requester=user,
            organisation_id=user.membership.organisation_id,
            team="technical",
            product_area=area,
            channel=Channel.EMAIL,
            language="en",
            subject="Survey export stops",
        )
        for n in range(first, first + count)
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")
def test_the_refresh_counts_the_hours_chats_without_reading_the_hours_other_requests(
    standard_user: User, surveys_area: ProductArea
) -> None:
    for n in range(3):
        open_chat(standard_user, surveys_area, f"Still waiting {n}")
    _emailed_now(standard_user, surveys_area, 20)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    few, _ = _refresh_reads()

    _emailed_now(standard_user, surveys_area, 5_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    many, statements = _refresh_reads()

    # Every 5 s: a busy hour's emails and calls must not be read to count its chats.
    assert many <= few + 20, "\n\n".join(statements)
    assert QueueStatistic.objects.filter(method=Method.CHAT, arrivals=3).exists()
