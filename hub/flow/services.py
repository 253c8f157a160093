"""One write per contact form. Each owns one transaction: the ticket (or the chat, or the
booking) and, when the assistant led here, the conversation's link to it and its transcript
on the ticket's timeline. Either all of it is saved or none of it.

The views have already asked routing for the offer once; it is passed in, so the ticket's
team, its handover and its callback time are those the customer was shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chatbot.models import Conversation
from chatbot.selectors import conversation_transcript
from chatbot.services import conversation_ticket_link
from hub.accounts.models import Membership, User
from routing.erlang import WaitEstimate
from routing.models import ProductArea
from routing.policy import MethodOffer
from tickets.chat.services import chat_start, chat_switch_to_phone
from tickets.models import Channel, ChatSession, SuccessCheckTime, Team, Ticket
from tickets.services import (
    callback_details_change,
    conference_book,
    ticket_create,
    ticket_create_with_attachments,
    wait_quote_record,
)


def _conversation_event_data(conversation: Conversation | None) -> dict[str, Any]:
    """What the ticket keeps of the conversation: the agent reads it on the callback screen."""
    if conversation is None:
        return {}
    return {
        "assistant_conversation": conversation_transcript(conversation),
        "assistant_conversation_id": conversation.public_id,
    }


def _offer_event_data(offer: MethodOffer) -> dict[str, Any]:
    """What the customer was told: when the request will be answered, who takes it over."""
    data: dict[str, Any] = {"source": "hub", "offer_status": str(offer.status)}
    if offer.next_opening is not None and not offer.is_available:
        data["answered_from"] = offer.next_opening.isoformat()
    if offer.handover_at is not None:
        data["handover_at"] = offer.handover_at.isoformat()
    return data


def _ticket_create_without_files(
    *, attachments: Sequence[UploadedFile[bytes]], **ticket: Any
) -> Ticket:
    return ticket_create(**ticket)


def _conversation_link(conversation: Conversation | None, ticket: Ticket) -> None:
    if conversation is not None:
        conversation_ticket_link(conversation=conversation, ticket=ticket)


def email_request_submit(
    *,
    requester: User,
    area: ProductArea,
    offer: MethodOffer,
    language: str,
    subject: str,
    description: str,
    attachments: Sequence[UploadedFile[bytes]],
    idempotency_key: str,
    conversation: Conversation | None,
) -> Ticket:
    """An email request with its files (ValidationError, AttachmentRejected: nothing saved)."""
    create = ticket_create_with_attachments if attachments else _ticket_create_without_files
    return create(
        requester=requester,
        attachments=attachments,
        channel=Channel.EMAIL,
        team=Team.of_queue(offer.team),
        subject=subject,
        description=description,
        product_area=area,
        language=language,
        idempotency_key=idempotency_key,
        contact_email=requester.email,
        handover_due_at=offer.handover_at,
        event_data={**_offer_event_data(offer), **_conversation_event_data(conversation)},
        # The conversation's link, kept with the ticket or not at all.
        written_with=partial(_conversation_link, conversation),
    )


def _callback_due_at(offer: MethodOffer) -> datetime | None:
    """When a callback joins its queue: now (None), or when its language opens."""
    if not offer.is_available and offer.next_opening is not None:
        return offer.next_opening
    return None


def phone_request_submit(
    *,
    requester: User,
    area: ProductArea,
    offer: MethodOffer,
    language: str,
    phone_number: str,
    phone_extension: str,
    contact_email: str,
    subject: str,
    account_access_allowed: bool,
    recording_consent: bool,
    idempotency_key: str,
    conversation: Conversation | None,
    converting: ChatSession | None = None,
    quoted_wait: WaitEstimate | None = None,
) -> Ticket:
    """A callback request, kept with the wait it was quoted (``quoted_wait``); with
    ``converting``, the member's chat becomes this callback on the same ticket. Outside its
    language's hours, beat queues it when the language opens."""
    callback_due_at = _callback_due_at(offer)

    def quote_and_link(ticket: Ticket) -> None:
        if callback_due_at is None:
            wait_quote_record(ticket=ticket, estimate=quoted_wait, now=timezone.now())
        _conversation_link(conversation, ticket)

    if converting is None:
        # Written in the ticket's own transaction: the ticket and the wait it was quoted are
        # kept together or not at all, with no savepoint for the ticket.
        return ticket_create(
            requester=requester,
            channel=Channel.PHONE,
            team=Team.of_queue(offer.team),
            subject=subject,
            # R-PHONE: the subject is what the history shows as the ticket's description.
            description=subject,
            product_area=area,
            language=language,
            idempotency_key=idempotency_key,
            phone_number=phone_number,
            phone_extension=phone_extension,
            contact_email=contact_email,
            account_access_allowed=account_access_allowed,
            recording_consent=recording_consent,
            callback_due_at=callback_due_at,
            handover_due_at=offer.handover_at,
            event_data={**_offer_event_data(offer), **_conversation_event_data(conversation)},
            written_with=quote_and_link,
        )
    # One transaction: the chat's switch and the wait it was quoted, together or not at all.
    with transaction.atomic():
        ticket = chat_switch_to_phone(
            session=converting,
            by=requester,
            phone_number=phone_number,
            phone_extension=phone_extension,
            contact_email=contact_email,
            subject=subject,
            account_access_allowed=account_access_allowed,
            recording_consent=recording_consent,
            team=Team.of_queue(offer.team),
            language=language,
            callback_due_at=callback_due_at,
            handover_due_at=offer.handover_at,
        )
        quote_and_link(ticket)
    return ticket


def phone_request_change(
    *,
    ticket: Ticket,
    by: User,
    offer: MethodOffer,
    language: str,
    phone_number: str,
    phone_extension: str,
) -> Ticket:
    """The customer's new number or language for a callback that still waits (CallbackTaken
    once an agent has it); a language closed now is called when it opens, as on the form."""
    return callback_details_change(
        ticket=ticket,
        by=by,
        phone_number=phone_number,
        phone_extension=phone_extension,
        language=language,
        callback_due_at=_callback_due_at(offer),
    )


def conference_request_submit(
    *,
    requester: User,
    area: ProductArea,
    language: str,
    starts_at: datetime,
    screen_sharing: bool,
    subject: str,
    description: str,
    idempotency_key: str,
    conversation: Conversation | None,
    now: datetime,
) -> Ticket:
    """A conference call booked with a free specialist (SlotTaken when none is left)."""
    with transaction.atomic():
        ticket = conference_book(
            requester=requester,
            product_area=area,
            language=language,
            starts_at=starts_at,
            screen_sharing=screen_sharing,
            subject=subject,
            description=description,
            idempotency_key=idempotency_key,
            event_data=_conversation_event_data(conversation),
            now=now,
        )
        _conversation_link(conversation, ticket)
    return ticket


def chat_request_start(
    *,
    requester: User,
    area: ProductArea,
    offer: MethodOffer,
    language: str,
    message: str,
    idempotency_key: str,
    conversation: Conversation | None,
) -> ChatSession:
    """A live chat, waiting in its queue with the first message."""
    with transaction.atomic():
        session = chat_start(
            requester=requester,
            product_area=area,
            language=language,
            message=message,
            team=Team.of_queue(offer.team),
            idempotency_key=idempotency_key,
            event_data=_conversation_event_data(conversation),
        )
        _conversation_link(conversation, session.ticket)
    return session


def _success_check_description(
    *,
    review: str,
    earliest: date,
    latest: date,
    time_of_day: SuccessCheckTime,
    notes: str,
    time_zone: str,
) -> str:
    """The request as the Technical Success Manager reads it, in the customer's language."""
    parts = [
        _("What to review:"),
        review.strip(),
        "",
        _("Preferred dates: %(earliest)s to %(latest)s")
        % {
            "earliest": date_format(earliest, "DATE_FORMAT"),
            "latest": date_format(latest, "DATE_FORMAT"),
        },
        _("Time of day: %(time)s (%(zone)s)") % {"time": time_of_day.label, "zone": time_zone},
    ]
    if notes.strip():
        parts += ["", _("Notes:"), notes.strip()]
    return "\n".join(parts)


def success_check_request_submit(
    *,
    requester: User,
    membership: Membership,
    review: str,
    earliest: date,
    latest: date,
    time_of_day: str,
    notes: str,
    language: str,
    idempotency_key: str,
) -> Ticket:
    """A Success Check: a ticket for the Technical Success team, assigned from the start to
    the organisation's Technical Success Manager when it has one. ``ticket_create`` owns the
    one transaction (ticket, first event, confirmation email queued on commit) and answers a
    retry with the same key with the first ticket."""
    when = SuccessCheckTime(time_of_day)
    return ticket_create(
        requester=requester,
        channel=Channel.WEB,
        team=Team.SUCCESS,
        subject=_("Success Check request"),
        description=_success_check_description(
            review=review,
            earliest=earliest,
            latest=latest,
            time_of_day=when,
            notes=notes,
            time_zone=requester.time_zone,
        ),
        language=language,
        idempotency_key=idempotency_key,
        assigned_to=membership.organisation.technical_success_manager,
        event_data={
            "source": "hub",
            "success_check": {
                "earliest": earliest.isoformat(),
                "latest": latest.isoformat(),
                "time_of_day": when.value,
                "time_zone": requester.time_zone,
            },
        },
    )
