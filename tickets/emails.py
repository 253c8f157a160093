"""Ticket email: rendered in the requester's language, text and HTML."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tickets.models import Ticket


def confirmation_message(ticket: Ticket) -> EmailMultiAlternatives:
    requester = ticket.requester
    with translation.override(requester.preferred_language):
        context = {
            "ticket": ticket,
            "requester": requester,
            "site_url": settings.SITE_URL,
            "hub_url": settings.SITE_URL + reverse("hub:home"),
        }
        subject = render_to_string("tickets/email/confirmation_subject.txt", context).strip()
        text = render_to_string("tickets/email/confirmation.txt", context)
        html = render_to_string("tickets/email/confirmation.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[requester.email],
        headers={"Message-ID": f"<{ticket.number}.confirmation@{settings.SUPPORT_REPLY_DOMAIN}>"},
    )
    message.attach_alternative(html, "text/html")
    return message
