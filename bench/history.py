"""Issue 7's figures: the ticket history at 100,000 tickets in one organisation.

Seeds 100,000 tickets (with timelines: about 2.6 events each) for 200 members of Acme
Research, then measures the brand administrator's list (first page, a filtered page, a search,
a deep page), a standard user's list and a ticket page, beside the bare view; and prints the
query plans of the list, the deep page and the search.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus

from bench import harness
from bench.harness import Page

TICKETS = harness._env_int("BENCH_HISTORY_TICKETS", 100_000, low=2_000, high=1_000_000)
MEMBERS = 200
BATCH = 5_000
ADMIN = "admin@acme.example"
STANDARD = "standard@acme.example"
SUBJECTS = (
    "Survey export stops at 50,000 rows",
    "Reminder emails go to people who already answered",
    "Dashboard widget shows no data since Monday",
    "SSO sign-in loops back to the login page",
    "API token returns 401 after rotation",
    "Quota counts do not match the responses",
    "Translated survey shows English labels",
    "Salesforce integration stopped syncing contacts",
    "Stats iQ regression gives a strange coefficient",
    "Intercept does not appear on the checkout page",
)
WORDS = [
    "respondents",
    "distribution",
    "panel",
    "embedded",
    "data",
    "branch",
    "logic",
    "widget",
    "filter",
    "export",
    "hierarchy",
    "participant",
    "threshold",
    "anonymity",
    "connector",
    "token",
    "webhook",
    "schedule",
    "report",
]


def extend(plan: harness.Plan) -> None:
    def history_seed_and_name_pages() -> None:
        history_seed()
        plan.pages.extend(history_pages())

    plan.seeders.append(history_seed_and_name_pages)
    plan.scenarios.append(history_plans)


def _members() -> list[int]:
    from hub.accounts.models import Membership, Organisation, User

    acme = Organisation.objects.get(name="Acme Research")
    users = User.objects.bulk_create(
        User(username=f"member{n}@acme.example", email=f"member{n}@acme.example",
             first_name="Member", last_name=f"{n:03d}")
        for n in range(MEMBERS)
    )  # fmt: skip
    Membership.objects.bulk_create(Membership(user=user, organisation=acme) for user in users)
    demo = list(
        User.objects.filter(email__in=[ADMIN, STANDARD, "billing@acme.example"]).values_list(
            "pk", flat=True
        )
    )
    return [user.pk for user in users] + demo


def history_seed() -> None:
    from django.db import connection, transaction

    from routing.models import ProductArea
    from tickets.models import Channel, EventKind, Status, Team, Ticket, TicketEvent
    from tickets.search import ticket_search_refresh

    chooser = random.Random(7)
    requesters = _members()
    from hub.accounts.models import Organisation

    acme = Organisation.objects.get(name="Acme Research")
    areas = list(ProductArea.objects.values_list("pk", flat=True))
    channels = [Channel.EMAIL, Channel.PHONE, Channel.CHAT, Channel.WEB]
    statuses = [Status.SOLVED] * 6 + [Status.CLOSED] * 2 + [Status.IN_PROGRESS, Status.QUEUED]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('tickets_ticket_number_seq')")
        first = int(cursor.fetchone()[0])
        cursor.execute("SELECT setval('tickets_ticket_number_seq', %s)", [first + TICKETS])
    seeded_at = datetime.now(UTC)
    start = seeded_at - timedelta(days=3 * 365)
    step = timedelta(days=3 * 365) / TICKETS
    made = 0
    for offset in range(0, TICKETS, BATCH):
        batch = []
        moments: list[tuple[datetime, datetime]] = []
        for n in range(offset, min(offset + BATCH, TICKETS)):
            channel = chooser.choice(channels)
            moment = start + step * n
            batch.append(
                Ticket(
                    number=f"CS-{first + n:06d}",
                    requester_id=chooser.choice(requesters),
                    organisation_id=acme.pk,
                    team=Team.TECHNICAL,
                    product_area_id=chooser.choice(areas),
                    channel=channel,
                    language="en",
                    subject=f"{chooser.choice(SUBJECTS)} ({n})",
                    description=" ".join(chooser.choices(WORDS, k=24)),
                    status=chooser.choice(statuses),
                    phone_number="+442079460018" if channel == Channel.PHONE else "",
                )
            )
            # The newest were last updated no later than now, not days ahead of it.
            updated = min(moment + timedelta(hours=chooser.randint(0, 72)), seeded_at)
            moments.append((moment, updated))
        with transaction.atomic():
            Ticket.objects.bulk_create(batch)
            # auto_now(_add) set both times to now on insert: put the history's in. Each was
            # confirmed (and a callback queued) when made, and the finished ones were solved:
            # otherwise beat's outbox sweep would take the history for work never done and
            # send ten thousand confirmations during the measurements.
            for ticket, (created, updated) in zip(batch, moments, strict=True):
                ticket.created_at, ticket.updated_at = created, updated
                ticket.confirmation_sent_at = created
                if ticket.channel == Channel.PHONE:
                    ticket.queued_at = created
                if ticket.status in (Status.SOLVED, Status.CLOSED):
                    ticket.solved_at = updated
            Ticket.objects.bulk_update(
                batch,
                ["created_at", "updated_at", "confirmation_sent_at", "queued_at", "solved_at"],
                batch_size=1000,
            )
            events = []
            for ticket in batch:
                events.append(
                    TicketEvent(ticket=ticket, kind=EventKind.CREATED, actor_id=ticket.requester_id)
                )
                if ticket.channel == Channel.PHONE:
                    events.append(
                        TicketEvent(ticket=ticket, kind=EventKind.QUEUED, data={"position": 1})
                    )
                if chooser.random() < 0.5:
                    events.append(
                        TicketEvent(
                            ticket=ticket,
                            kind=EventKind.COMMENT,
                            actor_id=ticket.requester_id,
                            message=" ".join(chooser.choices(WORDS, k=18)),
                        )
                    )
                if ticket.status in (Status.SOLVED, Status.CLOSED):
                    events.append(
                        TicketEvent(ticket=ticket, kind=EventKind.STATUS_CHANGED,
                                    data={"old": Status.IN_PROGRESS, "new": ticket.status})
                    )  # fmt: skip
            TicketEvent.objects.bulk_create(events, batch_size=2000)
            ticket_search_refresh(ticket.pk for ticket in batch)
        made += len(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket; ANALYZE tickets_ticketevent")
    harness.report(f"history: {made:,} tickets for {len(requesters)} members of Acme Research")


def _deep_cursor() -> str:
    """The place 99,000 rows into the administrator's list, newest first."""
    from hub.accounts.models import User
    from tickets.selectors import Cursor, HistoryFilters, filtered_history

    admin = User.objects.get(email=ADMIN)
    rows = filtered_history(admin, HistoryFilters(), language="en").order_by("-created_at", "-pk")
    created_at, pk = rows.values_list("created_at", "pk")[TICKETS - 1_000]
    return Cursor(value=created_at, pk=pk).encode()


def history_pages() -> list[Page]:
    """The pages that need rows to exist: a cursor deep in the list, and one ticket."""
    from tickets.models import Channel, Ticket

    cursor = _deep_cursor()
    ticket = (
        Ticket.objects.filter(channel=Channel.PHONE, events__kind="comment")
        .order_by("-created_at")
        .values_list("number", flat=True)
        .first()
    )
    # The floors, as fractions of the anonymous bare view (see bench/flow.py).
    lists, page = 0.15, 0.2
    searches = ("salesforce sync", "export rows", "token rotation", "reminder emails")
    return [
        Page("/hub/tickets/ (admin, 100k, first page)", "/hub/tickets/", user=ADMIN, floor=lists),
        Page(
            "/hub/tickets/ (admin, open phone tickets)",
            "/hub/tickets/?status=open&channel=phone",
            user=ADMIN,
            others=(
                ("/hub/tickets/?status=solved&channel=email", ADMIN),
                ("/hub/tickets/?status=open&channel=chat", ADMIN),
            ),
            floor=lists,
        ),
        Page(
            f"/hub/tickets/ (admin, {len(searches)} searches)",
            f"/hub/tickets/?q={quote_plus(searches[0])}",
            user=ADMIN,
            others=tuple((f"/hub/tickets/?q={quote_plus(text)}", ADMIN) for text in searches[1:]),
            floor=lists,
        ),
        Page(
            "/hub/tickets/ (admin, 99,000 rows deep)",
            f"/hub/tickets/?after={cursor}",
            user=ADMIN,
            floor=lists,
        ),
        Page("/hub/tickets/ (standard user, own)", "/hub/tickets/", user=STANDARD, floor=lists),
        Page(f"/hub/tickets/{ticket}/ (admin)", f"/hub/tickets/{ticket}/", user=ADMIN, floor=page),
    ]


def history_plans(hub: harness.LiveHub) -> None:
    """EXPLAIN ANALYZE of the very queries the list's selector runs (its count and its page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hub.accounts.models import User
    from tickets.selectors import Cursor, HistoryFilters, ticket_history_page

    admin = User.objects.get(email=ADMIN)

    def show(label: str, filters: HistoryFilters, cursor: Cursor | None = None) -> None:
        with CaptureQueriesContext(connection) as captured:
            ticket_history_page(admin, filters, language="en", cursor=cursor)
        for query in captured.captured_queries:
            if not query["sql"].startswith("SELECT") or "tickets_ticket" not in query["sql"]:
                continue  # the membership's read
            with connection.cursor() as cursor_:
                cursor_.execute("EXPLAIN ANALYZE " + query["sql"])
                plan = "\n".join(row[0] for row in cursor_.fetchall())
            what = (
                "the page beside its capped count"
                if "OVER ()" in query["sql"]
                else "the capped count"
                if "COUNT(" in query["sql"]
                else "the page"
            )
            print(f"\nhistory: EXPLAIN ANALYZE, {label}, {what}:\n{plan}", flush=True)

    print("\nTicket history query plans (100,000 tickets in one organisation)")
    show("first page", HistoryFilters())
    show("99,000 rows deep", HistoryFilters(), Cursor.decode(_deep_cursor()))
    show("search 'salesforce sync'", HistoryFilters(text="salesforce sync"))
