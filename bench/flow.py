"""The hub as many members use it at once, at 100,000 tickets, against the issue's floors.

Every page here is measured across many signed-in members (a session each), many product
areas and many tickets, taken in turn request by request, rather than one URL hammered by one
session whose rows sit warm in every cache. The phone and email forms are posted under load
with a fresh idempotency key in every request and the Celery worker running; afterwards the
time from each submission to its place in the queue (phone: the callback queued; email: the
confirmation written to the outbox) is read from the rows themselves.

The floors are the issue's "done when", as fractions of the anonymous bare view in the same
run; a page below its floor, a submission never queued, or a p99 from submit to queued of a
second or more makes the run exit 1.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from urllib.parse import quote_plus

from bench import harness
from bench.harness import BARE_PATH, Page

MEMBERS = 60  # signed-in members the pages rotate through, a session each
TICKET_PAGES = 200
ADMIN_TICKETS = 50
STAFF = "root@hub.example"
PHONE_SUBJECT = "Bench load phone callback"
EMAIL_SUBJECT = "Bench load email request"
QUEUED_P99_LIMIT_SECONDS = 1.0

# The floors (fractions of the anonymous bare view).
SIGNED_IN_BARE_FLOOR = 0.6
HUB_FLOOR = 0.3
PICKER_FLOOR = 0.2
SUPPORT_FLOOR = 0.3
TICKET_LIST_FLOOR = 0.15
TICKET_PAGE_FLOOR = 0.2
ADMIN_FLOOR = 0.05

# Filled by the seeder, for the report after the load.
_RUN: dict[str, datetime] = {}


def extend(plan: harness.Plan) -> None:
    def flow_seed() -> None:
        plan.pages.extend(flow_pages())

    plan.worker = True
    plan.seeders.append(flow_seed)

    def submissions(hub: harness.LiveHub) -> None:
        submissions_report(hub, plan)

    # First: before other scenarios add tickets and workers of their own.
    plan.scenarios.insert(0, submissions)


def _rotate(pairs: list[tuple[str, str | None]]) -> tuple[str, str | None, tuple]:  # type: ignore[type-arg]
    (path, user), *others = pairs
    return path, user, tuple(others)


def _page(label: str, pairs: list[tuple[str, str | None]], **fields: object) -> Page:
    path, user, others = _rotate(pairs)
    return Page(label, path, user=user, others=others, **fields)  # type: ignore[arg-type]


def flow_pages() -> list[Page]:
    from django.utils import timezone

    from hub.accounts.models import User
    from routing.models import ProductArea
    from tickets.models import Ticket

    _RUN["started"] = timezone.now()
    members = list(
        User.objects.filter(email__startswith="member", email__endswith="@acme.example")
        .order_by("email")
        .values_list("email", flat=True)[:MEMBERS]
    )
    if not members:
        raise harness.BenchError("bench/flow.py needs the members bench/history.py seeds")
    areas = list(
        ProductArea.objects.filter(is_active=True, redirects_to_discover=False)
        .order_by("pk")
        .values_list("slug", flat=True)
    )

    def across(paths: list[str]) -> list[tuple[str, str | None]]:
        # Members and paths both vary: the n-th request is member n, path n (mod each).
        count = max(len(members), len(paths))
        return [(paths[n % len(paths)], members[n % len(members)]) for n in range(count)]

    tickets = list(
        Ticket.objects.filter(requester__email__in=members)
        .order_by("-created_at")
        .values_list("number", "requester__email")[:TICKET_PAGES]
    )
    admin_ids = list(
        Ticket.objects.order_by("-created_at").values_list("pk", flat=True)[:ADMIN_TICKETS]
    )
    phone = (
        "csrfmiddlewaretoken={csrf}&idempotency_key={key}&area={area}&language=en&country=GB"
        "&number=020+7946+0123&extension=&email={user}&recording_consent=on"
        f"&subject={quote_plus(PHONE_SUBJECT)}"
    )
    email = (
        "csrfmiddlewaretoken={csrf}&idempotency_key={key}&language=en"
        f"&subject={quote_plus(EMAIL_SUBJECT)}"
        "&description=The+CSV+export+stops+at+80+%25+and+never+finishes."
    )
    contact = "/hub/technical/areas/{}/contact/"
    pages = [
        _page(
            f"bare Django view ({len(members)} members)",
            across([BARE_PATH]),
            floor=SIGNED_IN_BARE_FLOOR,
        ),
        _page(f"/hub/ ({len(members)} members)", across(["/hub/"]), floor=HUB_FLOOR),
        _page(
            f"area page ({len(areas)} areas)",
            across([f"/hub/technical/areas/{slug}/" for slug in areas]),
            floor=HUB_FLOOR,
        ),
        _page(
            f"method picker ({len(areas)} areas)",
            across([contact.format(slug) for slug in areas]),
            floor=PICKER_FLOOR,
        ),
        _page("/support/ home", across(["/support/"]), floor=SUPPORT_FLOOR),
        _page(
            f"/support/<area>/ ({len(areas)} areas)",
            across([f"/support/{slug}/" for slug in areas]),
            floor=SUPPORT_FLOOR,
        ),
        _page(
            f"ticket page ({len(tickets)} tickets, their requesters)",
            [(f"/hub/tickets/{number}/", requester) for number, requester in tickets],
            floor=TICKET_PAGE_FLOOR,
        ),
        _page(
            f"admin ticket change ({len(admin_ids)} tickets)",
            [(f"/admin/tickets/ticket/{pk}/change/", STAFF) for pk in admin_ids],
            floor=ADMIN_FLOOR,
        ),
        _page(
            "admin ticket changelist",
            [("/admin/tickets/ticket/", STAFF)],
            floor=ADMIN_FLOOR,
        ),
    ]
    # The forms: the n-th member posts to the n-th area; each body names its member.
    phone_pairs = across([contact.format(slug) + "phone/" for slug in areas])
    email_pairs = across([contact.format(slug) + "email/" for slug in areas])
    pages += [
        Page(
            "phone submission POST",
            phone_pairs[0][0],
            user=phone_pairs[0][1],
            others=tuple(phone_pairs[1:]),
            method="POST",
            expect_status=302,
            body=phone,
        ),
        Page(
            "email submission POST",
            email_pairs[0][0],
            user=email_pairs[0][1],
            others=tuple(email_pairs[1:]),
            method="POST",
            expect_status=302,
            body=email,
        ),
    ]
    return pages


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def submissions_report(hub: harness.LiveHub, plan: harness.Plan) -> None:
    """Every submission of the load queued once, and how long that took (p50/p99/max)."""
    from django.db.models import Count

    from tickets.models import CallbackRequest, Ticket

    since = _RUN.get("started")
    print("\nSubmissions under load (worker running)", flush=True)
    for label, subject, field in (
        ("phone", PHONE_SUBJECT, "queued_at"),
        ("email", EMAIL_SUBJECT, "confirmation_sent_at"),
    ):
        made = Ticket.objects.filter(subject=subject, created_at__gte=since)
        deadline = time.monotonic() + 60
        while made.filter(**{f"{field}__isnull": True}).exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        rows = list(made.values_list("created_at", field))
        waiting = sum(1 for _created, done in rows if done is None)
        delays = [(done - created).total_seconds() for created, done in rows if done is not None]
        if not rows:
            plan.failures.append(f"{label} submissions: no ticket was made")
            continue
        p99 = _percentile(delays, 0.99) if delays else float("inf")
        print(
            f"{label}: {len(rows):,} tickets; submit to "
            f"{'callback queued' if label == 'phone' else 'confirmation queued'}: "
            f"p50 {statistics.median(delays) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {max(delays) * 1000:.0f} ms; not queued after 60 s: {waiting}",
            flush=True,
        )
        if waiting:
            plan.failures.append(f"{label} submissions: {waiting} never queued")
        if p99 >= QUEUED_P99_LIMIT_SECONDS:
            plan.failures.append(
                f"{label} submissions: p99 from submit to queued {p99:.2f} s, limit "
                f"{QUEUED_P99_LIMIT_SECONDS:.0f} s"
            )
    twice = (
        CallbackRequest.objects.filter(ticket__subject=PHONE_SUBJECT)
        .values("ticket_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    if twice:
        plan.failures.append(f"phone submissions: {twice} queued more than once")
