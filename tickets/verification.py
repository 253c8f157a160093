"""R-VERIFY: a TSM passes a customer's question to Enterprise Support; the customer verifies.

Until the customer uses the link, the state machine refuses every action on the ticket.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.accounts.models import StaffRole, User
from hub.accounts.outbox import outbound_email_queue
from routing.models import ProductArea
from tickets import emails
from tickets.models import Channel, EventKind, Team, Ticket, TicketEvent, VerificationLink
from tickets.services import enqueue_on_commit, ticket_create

_SALT = "tickets.verify-and-confirm"
LINK_MAX_AGE = timedelta(days=7)


class LinkRefused(Exception):
    """The link cannot be used; `reason` says why, in words for the customer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_tsm(user: User) -> bool:
    return user.is_superuser or user.groups.filter(name=StaffRole.TSM.value).exists()


def verification_token(link: VerificationLink) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(link.nonce)


def ticket_pass_to_enterprise(
    *,
    tsm: User,
    customer: User,
    subject: str,
    question: str,
    product_area: ProductArea | None = None,
    thread_message_id: str = "",
) -> Ticket:
    """Make the customer's ticket, locked until they verify, and email them the link."""
    if not is_tsm(tsm):
        raise ValidationError(_("Only a Technical Success Manager can pass a question on."))
    with transaction.atomic():
        ticket = ticket_create(
            requester=customer,
            channel=Channel.EMAIL,
            team=Team.ENTERPRISE,
            subject=subject,
            description=question,
            product_area=product_area,
            verification_required=True,
            event_data={"passed_on_by": tsm.get_full_name() or tsm.email},
            made_by=tsm,
        )
        link = VerificationLink.objects.create(
            ticket=ticket,
            nonce=secrets.token_hex(16),
            created_by=tsm,
            thread_message_id=thread_message_id.strip(),
        )
        verification_link_send(link_id=link.pk)
    return ticket


@dataclass(frozen=True)
class VerifiableLink:
    link: VerificationLink
    ticket: Ticket


def link_check(*, token: str, user: User) -> VerifiableLink:
    """The link behind a token, if this user may use it now; otherwise LinkRefused."""
    try:
        nonce = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkRefused(
            _("This link has expired. Ask your Technical Success Manager to send a new one.")
        ) from exc
    except signing.BadSignature as exc:
        raise LinkRefused(_("This link is not valid. Check that you copied all of it.")) from exc
    link = VerificationLink.objects.select_related("ticket").filter(nonce=nonce).first()
    if link is None:
        raise LinkRefused(_("This link is not valid. Check that you copied all of it."))
    if link.used_at is not None:
        raise LinkRefused(_("This link has already been used. Your ticket is in your history."))
    if link.ticket.requester_id != user.pk:
        raise LinkRefused(
            _(
                "This link belongs to another account. Sign out, then sign in as the person it "
                "was sent to."
            )
        )
    return VerifiableLink(link=link, ticket=link.ticket)


def ticket_verify(*, token: str, user: User, allow_account_access: bool) -> Ticket:
    """Use the link once: the ticket unlocks and records the customer's choice."""
    with transaction.atomic():
        checked = link_check(token=token, user=user)
        link = VerificationLink.objects.select_for_update().get(pk=checked.link.pk)
        if link.used_at is not None:
            raise LinkRefused(_("This link has already been used. Your ticket is in your history."))
        now = timezone.now()
        link.used_at = now
        link.save(update_fields=["used_at"])
        ticket = Ticket.objects.select_for_update().get(pk=link.ticket_id)
        ticket.verified_at = now
        ticket.account_access_allowed = allow_account_access
        ticket.account_access_changed_at = now
        ticket.save(
            update_fields=[
                "verified_at",
                "account_access_allowed",
                "account_access_changed_at",
                "updated_at",
            ]
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.VERIFIED,
            actor=user,
            data={"account_access": allow_account_access},
        )
        from tickets import tasks  # noqa: PLC0415 - the tasks call these services

        enqueue_on_commit(tasks.send_ticket_confirmation, ticket.pk)
    return ticket


def verification_link_url(link: VerificationLink) -> str:
    return settings.SITE_URL + reverse("tickets:verify", kwargs={"token": verification_token(link)})


def verification_link_send(*, link_id: int) -> bool:
    """Write the Verify & Confirm email once, in the thread of the TSM's conversation."""
    with transaction.atomic():
        link = (
            VerificationLink.objects.select_for_update(of=("self",))
            .select_related("ticket__requester", "created_by")
            .filter(pk=link_id, used_at__isnull=True)
            .first()
        )
        if link is None:
            return False
        ticket = link.ticket
        if ticket.events.filter(kind=EventKind.EMAIL_SENT, data__link=link.pk).exists():
            return False
        outbound_email_queue(
            emails.verification_message(link, verify_url=verification_link_url(link)),
            purpose="verify",
        )
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.EMAIL_SENT, data={"email": "verify", "link": link.pk}
        )
    return True
