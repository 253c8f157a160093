"""Ticket email: rendered in the ticket's language, text and HTML, replies threaded."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from hub.accounts.outbox import one_line
from tickets import reply_tokens
from tickets.chat.selectors import chat_transcript_lines
from tickets.labels import choice_label
from tickets.models import ChatTranscriptRequest, Status, Ticket, TicketEvent, VerificationLink
from tickets.selectors import QueueStatus

# The purposes this app writes emails for (``outbound_email_queue``), as the outbox names them
# for staff (``hub.accounts.outbox.outbox_purposes_name``, called when the app starts).
OUTBOX_PURPOSES = {
    "confirmation": _("Confirmation of a request"),
    "reply": _("Reply to a request"),
    "status": _("Change of a request's status"),
    "verify": _("Verify & Confirm link"),
    "transcript": _("Chat transcript"),
}

REPLY_PREFIX = re.compile(r"^(\s*re\s*:\s*)+", re.IGNORECASE)


def email_language(ticket: Ticket) -> str:
    """Every email about a ticket is in the language the customer asked in, when the hub
    writes in it; else in the language of their account."""
    if ticket.language in dict(settings.LANGUAGES):
        return ticket.language
    return ticket.requester.preferred_language or settings.LANGUAGE_CODE


def _message(ticket: Ticket, template: str, purpose: str, **extra: Any) -> EmailMultiAlternatives:
    requester = ticket.requester
    # The area's name is written in the subject and in both bodies: one query, not one each.
    prefetch_related_objects([ticket], "product_area__translations")
    language = email_language(ticket)
    with translation.override(language):
        context = {
            # Drawn without a request, the templates get no context processors' variables.
            "LANGUAGE_CODE": language,
            "ticket": ticket,
            "requester": requester,
            "site_url": settings.SITE_URL,
            # Every email leads to the ticket's own page in the history (R-HISTORY).
            "hub_url": settings.SITE_URL + reverse("tickets:detail", args=[ticket.number]),
            # get_channel_display() translates every channel's name to find one: about a
            # sixth of what writing a confirmation cost the worker.
            "channel_label": choice_label(ticket, "channel"),
            **extra,
        }
        subject = one_line(render_to_string(f"tickets/email/{template}_subject.txt", context))
        text = render_to_string(f"tickets/email/{template}.txt", context)
        html = render_to_string(f"tickets/email/{template}.html", context)
    first = f"<{reply_tokens.reply_token(ticket.number)}.thread@{settings.SUPPORT_REPLY_DOMAIN}>"
    headers = {
        "Message-ID": reply_tokens.message_id(ticket.number, purpose),
        "Reply-To": reply_tokens.reply_address(ticket.number),
        # Every message of a ticket hangs from one thread root, so mail clients group them.
        "References": first,
        "In-Reply-To": first,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[ticket.contact_email or requester.email],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(ticket: Ticket, *, queue: QueueStatus | None) -> EmailMultiAlternatives:
    """``queue``: the ticket's place in its callback queue (``selectors.queue_statuses``)."""
    return _message(ticket, "confirmation", "confirmation", queue=queue)


def reply_message(event: TicketEvent) -> EmailMultiAlternatives:
    """The agent's reply, and the status it left the ticket in when it changed one."""
    status = event.data.get("status")
    return _message(
        event.ticket,
        "reply",
        "reply",
        event=event,
        status=status,
        status_label=Status(status).label if status else "",
    )


def status_message(ticket: Ticket, status: str) -> EmailMultiAlternatives:
    return _message(ticket, "status", f"status-{status}", status=status)


def verification_message(link: VerificationLink, *, verify_url: str) -> EmailMultiAlternatives:
    """Sent from the support domain, in the thread of the TSM's conversation (R-VERIFY)."""
    message = _message(
        link.ticket, "verify", "verify", link=link, verify_url=verify_url, tsm=link.created_by
    )
    if thread := one_line(link.thread_message_id):
        message.extra_headers["In-Reply-To"] = thread
        message.extra_headers["References"] = thread
        # Mail clients group a thread by its subject as well as its headers. "Re:" is the
        # prefix RFC 5322 names, and clients in every language recognise it: not translated.
        message.subject = f"Re: {reply_subject_base(link.ticket.subject)}"
    return message


def reply_subject_base(subject: str) -> str:
    """The subject without the reply prefixes it already has ("Re: Re: x" -> "x")."""
    return REPLY_PREFIX.sub("", subject).strip() or subject


def transcript_message(request: ChatTranscriptRequest) -> EmailMultiAlternatives:
    """The chat, line by line, in the ticket's language and the customer's time zone."""
    session = request.session
    return _message(
        session.ticket,
        "transcript",
        f"transcript-{request.pk}",
        session=session,
        lines=chat_transcript_lines(session),
    )
