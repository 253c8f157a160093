"""A few requests for the demo organisation, so that `make run` shows a ticket history.

Made through the services like any request; a fixed idempotency key per request makes
seeding again return the same tickets and add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.accounts.models import User
from routing.models import ProductArea
from tickets.models import Channel, Status, Team, Ticket
from tickets.services import (
    callback_enqueue,
    ticket_comment,
    ticket_create,
    ticket_reply,
    ticket_transition,
)

DEMO_AGENT = "agent@hub.example"


@dataclass(frozen=True)
class DemoRequest:
    key: str
    requester: str
    channel: Channel
    team: Team
    area: str | None
    subject: str
    description: str
    agent_reply: str = ""
    customer_reply: str = ""
    status: Status | None = None


DEMO_REQUESTS = (
    DemoRequest(
        key="demo-reminders",
        requester="standard@acme.example",
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        area="surveys-xm-directory",
        subject="Reminder emails reach people who already answered",
        description=(
            "Since Monday's distribution, respondents who finished the survey still get the "
            "reminder. The survey is 'Customer onboarding 2026'."
        ),
        agent_reply=(
            "Thanks for the details. The reminder was scheduled from an anonymous link, which "
            "cannot tell who answered. Could you confirm whether the invitations went out as "
            "an email distribution to a contact list?"
        ),
        status=Status.WAITING_ON_CUSTOMER,
    ),
    DemoRequest(
        key="demo-widget",
        requester="standard@acme.example",
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        area="cx-dashboards",
        subject="Dashboard widget shows no data since Monday",
        description="Dashboard widget shows no data since Monday",
    ),
    DemoRequest(
        key="demo-vat",
        requester="billing@acme.example",
        channel=Channel.WEB,
        team=Team.ACCOUNT_SERVICES,
        area=None,
        subject="Billing, payment and renewal",
        description="The November invoice shows our old VAT number. Please reissue it.",
        agent_reply="We have reissued the invoice with the VAT number IT01234567890.",
        customer_reply="Received, thank you.",
        status=Status.SOLVED,
    ),
    DemoRequest(
        key="demo-sso",
        requester="admin@acme.example",
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        area="sso",
        subject="SSO sign-in loops back to the login page",
        description="Colleagues who sign in through Okta land on the login page again.",
        agent_reply=(
            "The identity provider sent the email in an attribute the connection did not map. "
            "After mapping it, sign-in works again."
        ),
        status=Status.CLOSED,
    ),
)


def demo_tickets_ensure() -> list[Ticket]:
    """The demo requests, made once; their replies and statuses only when first made."""
    agent = User.objects.get(email=DEMO_AGENT)
    tickets = []
    for demo in DEMO_REQUESTS:
        requester = User.objects.get(email=demo.requester)
        already = Ticket.objects.filter(requester=requester, idempotency_key=demo.key).first()
        ticket = already or ticket_create(
            requester=requester,
            channel=demo.channel,
            team=demo.team,
            subject=demo.subject,
            description=demo.description,
            product_area=ProductArea.objects.get(slug=demo.area) if demo.area else None,
            language="en",
            idempotency_key=demo.key,
            phone_number="+442079460123" if demo.channel == Channel.PHONE else "",
            recording_consent=True if demo.channel == Channel.PHONE else None,
            account_access_allowed=demo.channel == Channel.PHONE,
            event_data={"source": "demo"},
        )
        tickets.append(ticket)
        if already is not None:
            continue
        if demo.channel == Channel.PHONE:
            callback_enqueue(ticket_id=ticket.pk)
        if demo.agent_reply:
            ticket_reply(ticket=ticket, agent=agent, body=demo.agent_reply)
        if demo.customer_reply:
            ticket_comment(ticket=ticket, author=requester, body=demo.customer_reply)
        if demo.status is not None:
            ticket_transition(ticket=ticket, to=demo.status, actor=agent, notify=False)
    return tickets
