"""Tickets in bulk for the history tests: realistic rows without going through every form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hub.accounts.models import User
from routing.models import ProductArea
from tickets.models import Channel, EventKind, Status, Team, Ticket, TicketEvent
from tickets.numbering import next_ticket_number
from tickets.search import ticket_search_refresh

SUBJECTS = (
    "Survey export stops at 50,000 rows",
    "Reminder emails go to people who already answered",
    "Dashboard widget shows no data since Monday",
    "SSO sign-in loops back to the login page",
    "API token returns 401 after rotation",
)


def tickets_bulk(
    requesters: Sequence[User],
    count: int,
    *,
    start: datetime,
    step: timedelta = timedelta(minutes=7),
    areas: Sequence[ProductArea] = (),
    with_events: bool = True,
) -> list[Ticket]:
    """``count`` tickets spread over the requesters, one every ``step`` from ``start``, each
    with a created event and, every third one, a comment."""
    statuses = [Status.QUEUED, Status.IN_PROGRESS, Status.SOLVED, Status.CLOSED]
    channels = [Channel.EMAIL, Channel.PHONE, Channel.CHAT, Channel.CONFERENCE]
    tickets = []
    for index in range(count):
        requester = requesters[index % len(requesters)]
        channel = channels[index % len(channels)]
        tickets.append(
            Ticket(
                number=next_ticket_number(),
                requester=requester,
                organisation_id=requester.membership.organisation_id,
                team=Team.TECHNICAL,
                product_area=areas[index % len(areas)] if areas else None,
                channel=channel,
                language="en",
                subject=f"{SUBJECTS[index % len(SUBJECTS)]} (#{index})",
                description="Steps to reproduce are in the attached notes.",
                status=statuses[index % len(statuses)],
                phone_number="+390612345678" if channel == Channel.PHONE else "",
            )
        )
    Ticket.objects.bulk_create(tickets)
    # auto_now_add ignores the value given on insert; bulk_update writes it as it is.
    for index, ticket in enumerate(tickets):
        ticket.created_at = ticket.updated_at = start + step * index
    Ticket.objects.bulk_update(tickets, ["created_at", "updated_at"], batch_size=500)
    if with_events:
        events = []
        for index, ticket in enumerate(tickets):
            events.append(
                TicketEvent(ticket=ticket, kind=EventKind.CREATED, actor=ticket.requester)
            )
            if index % 3 == 0:
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        kind=EventKind.COMMENT,
                        actor=ticket.requester,
                        message="The export of responses still fails overnight.",
                    )
                )
        TicketEvent.objects.bulk_create(events)
    ticket_search_refresh(ticket.pk for ticket in tickets)
    return tickets


def assistant_turn_attach(
    ticket: Ticket, *, question: str, answer: str, article: tuple[str, str], feedback: str = ""
) -> None:
    """One assistant turn with one article (title, address) on the ticket's "created" event,
    as the contact forms write the conversation the customer had before asking."""
    title, url = article
    turn = {"question": question, "answer": answer, "articles": [{"title": title, "url": url}]}
    if feedback:
        turn["feedback"] = feedback
    created = ticket.events.get(kind=EventKind.CREATED)
    created.data = {"assistant_conversation": [turn]}
    created.save(update_fields=["data"])
