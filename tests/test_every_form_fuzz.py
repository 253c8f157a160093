"""Every form of the hub, fed whatever a browser (or an attacker) can send: never a 500, and a
POST that is not accepted writes nothing (RELIABILITY 17).

The contact forms have their own, field-aware fuzz tests in tests/hub/test_contact_forms.py;
this one covers the rest, from the same table: who posts, where, which fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.signing import dumps
from django.db.models import Model
from django.test import Client
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from chatbot.models import Conversation, Turn
from chatbot.services import conversation_ask, conversation_start
from hub.accounts.models import (
    EnterpriseSeat,
    IdentityProvider,
    Invitation,
    Membership,
    Organisation,
    StaffRole,
    User,
)
from hub.accounts.selectors import INVITATION_SALT
from hub.accounts.services import invitation_create, staff_groups_ensure
from routing.models import ProductArea
from tests.tickets.chat_world import open_chat
from tickets.models import (
    CallbackRequest,
    Channel,
    ChatMessage,
    ChatSession,
    Team,
    Ticket,
    TicketEvent,
    VerificationLink,
)
from tickets.services import callback_enqueue, ticket_create
from tickets.verification import ticket_pass_to_enterprise, verification_token

FUZZ = hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What a form field may receive: any text, control characters and NUL among them, and the
# values that broke forms before (header injection, far dates, huge numbers, wrong shapes).
VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "Subject\r\nBcc: someone@example.com",
            "9999-12-31",
            "9999-12-31T23:59",
            "0001-01-01",
            "-1",
            "0",
            "99999999999999999999999",
            "on",
            "yes",
            "<script>alert(1)</script>",
            "x" * 5000,
        ]
    ),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
)

# The rows a form could write; a POST that is not accepted changes none of them.
WATCHED: tuple[type[Model], ...] = (
    Ticket,
    TicketEvent,
    CallbackRequest,
    ChatSession,
    ChatMessage,
    Conversation,
    Turn,
    Invitation,
    Membership,
    EnterpriseSeat,
    IdentityProvider,
    VerificationLink,
)


@dataclass(frozen=True)
class World:
    """One of everything a form acts on, belonging to the people who post."""

    ticket: Ticket
    callback_ticket: Ticket
    chat: ChatSession
    conversation: Conversation
    membership: Membership
    invitation: Invitation
    invitation_token: str
    verification_token: str
    seat_id: int
    area: ProductArea


@dataclass(frozen=True)
class Target:
    name: str
    who: str  # a fixture name, or "anonymous"
    path: Callable[[World], str]
    fields: tuple[str, ...]


TARGETS = [
    Target(
        "team choice",
        "standard_user",
        lambda w: "/hub/",
        ("team",),
    ),
    Target(
        "account services",
        "brand_admin",
        lambda w: "/hub/account-services/",
        ("topic", "description", "idempotency_key"),
    ),
    Target(
        "a success check",
        "seat_holder",
        lambda w: "/hub/your-services/success-check/",
        ("review", "earliest", "latest", "time_of_day", "notes", "idempotency_key"),
    ),
    Target(
        "the flow's assistant question",
        "standard_user",
        lambda w: f"/hub/technical/areas/{w.area.slug}/",
        ("question", "conversation"),
    ),
    Target(
        "the flow's assistant feedback",
        "standard_user",
        lambda w: f"/hub/technical/areas/{w.area.slug}/assistant/feedback/",
        ("conversation", "position", "answer"),
    ),
    Target(
        "chat start",
        "standard_user",
        lambda w: f"/hub/technical/areas/{w.area.slug}/contact/chat/",
        ("idempotency_key", "conversation", "language", "message"),
    ),
    Target(
        "comment",
        "standard_user",
        lambda w: f"/hub/tickets/{w.ticket.number}/comments/",
        ("body", "idempotency_key"),
    ),
    Target(
        "close",
        "standard_user",
        lambda w: f"/hub/tickets/{w.ticket.number}/close/",
        ("confirm",),
    ),
    Target(
        "account access",
        "standard_user",
        lambda w: f"/hub/tickets/{w.ticket.number}/account-access/",
        ("allowed",),
    ),
    Target(
        "chat message",
        "standard_user",
        lambda w: f"/hub/chats/{w.chat.ticket.number}/send/",
        ("body", "client_key"),
    ),
    Target(
        "chat switch to email",
        "standard_user",
        lambda w: f"/hub/chats/{w.chat.ticket.number}/switch/email/",
        ("subject", "description", "idempotency_key"),
    ),
    Target(
        "chat transcript",
        "standard_user",
        lambda w: f"/hub/chats/{w.chat.ticket.number}/transcript/",
        ("key",),
    ),
    Target(
        "support assistant question",
        "standard_user",
        lambda w: "/support/assistant/",
        ("question", "conversation"),
    ),
    Target(
        "support assistant feedback",
        "standard_user",
        lambda w: "/support/assistant/feedback/",
        ("conversation", "position", "answer"),
    ),
    Target(
        "sign-in, first step",
        "anonymous",
        lambda w: "/accounts/login/",
        ("login",),
    ),
    Target(
        "sign-in with a password",
        "anonymous",
        lambda w: "/accounts/login/password/",
        ("login", "password", "remember"),
    ),
    Target(
        "password reset",
        "anonymous",
        lambda w: "/accounts/password/reset/",
        ("email",),
    ),
    Target(
        "invitation acceptance",
        "anonymous",
        lambda w: f"/invitations/{w.invitation_token}/",
        ("first_name", "last_name", "password1", "password2"),
    ),
    Target(
        "invite a member",
        "brand_admin",
        lambda w: "/hub/organisation/members/invite/",
        ("email",),
    ),
    Target(
        "member roles",
        "brand_admin",
        lambda w: f"/hub/organisation/members/{w.membership.pk}/roles/",
        ("is_brand_admin", "is_billing_contact", "is_primary_contact"),
    ),
    Target(
        "cancel an invitation",
        "brand_admin",
        lambda w: f"/hub/organisation/invitations/{w.invitation.pk}/cancel/",
        ("confirm",),
    ),
    Target(
        "assign a seat",
        "seat_admin",
        lambda w: "/hub/organisation/seats/assign/",
        ("member",),
    ),
    Target(
        "release a seat",
        "seat_admin",
        lambda w: f"/hub/organisation/seats/{w.seat_id}/release/",
        ("confirm",),
    ),
    Target(
        "SSO settings",
        "brand_admin",
        lambda w: "/hub/organisation/sign-in/",
        ("kind", "issuer", "client_id", "client_secret", "is_enabled"),
    ),
    Target(
        "the verification choice",
        "seat_holder",
        lambda w: f"/hub/verify/{w.verification_token}/",
        ("account_access",),
    ),
    Target(
        "the interface language",
        "standard_user",
        lambda w: "/i18n/setlang/",
        ("language", "next"),
    ),
    Target(
        "change a waiting callback",
        "standard_user",
        lambda w: f"/hub/requests/{w.callback_ticket.number}/callback/",
        ("country", "number", "extension", "language"),
    ),
    Target(
        "the account page",
        "standard_user",
        lambda w: "/accounts/profile/",
        ("first_name", "last_name", "preferred_language", "time_zone"),
    ),
    Target(
        "admin: reply and status",
        "admin_agent",
        lambda w: f"/admin/tickets/ticket/{w.ticket.pk}/change/",
        ("reply", "move_to", "assigned_to"),
    ),
    Target(
        "admin: take the next callback",
        "admin_agent",
        lambda w: "/admin/tickets/ticket/take-next-callback/",
        ("language", "area"),
    ),
]


@pytest.fixture
def seat_admin(make_member: Callable[..., User], globex: Organisation) -> User:
    return make_member("seat-admin@globex.example", globex, brand_admin=True)


@pytest.fixture
def admin_agent(db: None) -> User:
    user = User.objects.create_user(
        username="fuzz-agent@hub.example", email="fuzz-agent@hub.example", is_staff=True
    )
    user.groups.add(staff_groups_ensure()[StaffRole.AGENT])
    return user


@pytest.fixture
def world(
    standard_user: User,
    brand_admin: User,
    seat_holder: User,
    seat_admin: User,
    surveys_area: ProductArea,
    django_capture_on_commit_callbacks: Any,
) -> World:
    tsm = User.objects.create_user(
        username="fuzz-tsm@hub.example", email="fuzz-tsm@hub.example", is_staff=True
    )
    tsm.groups.add(staff_groups_ensure()[StaffRole.TSM])
    ticket = ticket_create(
        requester=standard_user,
        channel=Channel.EMAIL,
        team=Team.TECHNICAL,
        subject="Exports stopped",
        description="Since Monday the export is empty.",
        product_area=surveys_area,
    )
    callback_ticket = ticket_create(
        requester=standard_user,
        channel=Channel.PHONE,
        team=Team.TECHNICAL,
        subject="Call me",
        language="en",
        product_area=surveys_area,
        phone_number="+442079460018",
        recording_consent=True,
    )
    callback_enqueue(ticket_id=callback_ticket.pk)
    conversation = conversation_start(user=standard_user, surface="hub", language="en")
    conversation_ask(conversation=conversation, question="How do I export responses?")
    invitation = invitation_create(
        organisation=brand_admin.membership.organisation,
        email="invitee@acme.example",
        by=brand_admin,
    )
    passed_on = ticket_pass_to_enterprise(
        tsm=tsm, customer=seat_holder, subject="Quota", question="Can the quota grow?"
    )
    seat = EnterpriseSeat.objects.filter(organisation=seat_admin.membership.organisation).first()
    return World(
        ticket=ticket,
        callback_ticket=callback_ticket,
        chat=open_chat(standard_user, surveys_area),
        conversation=conversation,
        membership=standard_user.membership,
        invitation=invitation,
        invitation_token=dumps(invitation.secret, salt=INVITATION_SALT),
        verification_token=verification_token(VerificationLink.objects.get(ticket=passed_on)),
        seat_id=seat.pk if seat is not None else 1,
        area=surveys_area,
    )


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


@pytest.fixture(params=TARGETS, ids=[target.name for target in TARGETS])
def target(request: pytest.FixtureRequest) -> Target:
    param: Target = request.param
    return param


@pytest.fixture
def poster(target: Target, request: pytest.FixtureRequest, world: World) -> Iterator[Client]:
    client = Client()
    if target.who != "anonymous":
        client.force_login(request.getfixturevalue(target.who))
    yield client


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_no_form_fails_or_half_saves_on_any_input(
    target: Target, poster: Client, world: World, data: st.DataObject
) -> None:
    posted = {name: data.draw(VALUES, label=name) for name in target.fields}
    before = _counts()
    response = poster.post(target.path(world), posted)
    event(f"{target.name}: {response.status_code}")
    assert response.status_code < 500, (target.name, posted)
    if response.status_code not in (301, 302, 303):
        assert _counts() == before, (target.name, posted)
