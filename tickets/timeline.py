"""The ticket timeline in words, for the ticket page (R-HISTORY) and the agents' admin.

Events store facts (kind, actor, data); the sentences are written here, at reading time, in
the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from hub.accounts.models import User
from tickets.labels import choice_label, choice_value_label
from tickets.models import Channel, ChatEndReason, EventKind, Ticket, TicketEvent


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    title: str
    detail: str  # a sentence about what happened, or ""
    message: str  # what a person wrote, shown as their words, or ""
    by: str  # who did it, or "" for the system
    by_support: bool
    at: datetime

    @property
    def at_iso(self) -> str:
        """The moment for ``<time datetime>``, in the reader's zone (the date filter's "c",
        without its cost on every entry)."""
        return timezone.localtime(self.at).isoformat()


def person(user: User | None, *, viewer: User) -> str:
    """How the timeline names someone: "you", a support agent's first name, or a colleague."""
    if user is None:
        return ""
    if user.pk == viewer.pk:
        return _("You")
    if user.is_staff:
        name = user.first_name or _("an agent")
        return _("%(name)s (support)") % {"name": name}
    return user.get_full_name() or user.email


def _created(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    channel = {"channel": choice_label(ticket, "channel")}
    if event.data.get("passed_on_by"):
        return _("Request made"), _(
            "Passed to Enterprise Support by a Technical Success Manager. "
            "Contact method: %(channel)s."
        ) % channel
    return _("Request made"), _("Contact method: %(channel)s.") % channel


def _made_for_requester_by(event: TicketEvent) -> str:
    """The TSM who made the request for the customer (R-VERIFY), or "" when they made it."""
    name = event.data.get("passed_on_by") if event.kind == EventKind.CREATED else None
    if not name:
        return ""
    return _("%(name)s (Technical Success Manager)") % {"name": name}


def _queued(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    position = event.data.get("position")
    if isinstance(position, int):
        return _("Joined the callback queue"), _("Number %(position)d in the queue.") % {
            "position": position
        }
    return _("Joined the callback queue"), ""


def _moved(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    position = event.data.get("position")
    if isinstance(position, int):
        return _("Moved up the queue"), _("Now number %(position)d in the queue.") % {
            "position": position
        }
    return _("Moved up the queue"), ""


def _called_back(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    return _("Called back"), _("An agent took the callback.")


def _email_sent(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    which = event.data.get("email")
    if which == "confirmation":
        return _("Confirmation email sent"), ""
    if which == "verify":
        return _("Verify & Confirm email sent"), ""
    if which == "transcript":
        return _("Chat transcript emailed"), ""
    return _("Email sent"), ""


def _email_reply(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    return _("Reply by email"), ""


def _comment(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    files = event.data.get("attachments")
    if isinstance(files, list) and files:
        return _("Files attached"), ", ".join(str(name) for name in files)
    if event.data.get("by_staff"):
        return _("Reply from support"), ""
    return _("Comment"), ""


def _status_changed(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    data = event.data
    if data.get("callback") == "withdrawn":
        return _("Callback request withdrawn"), _("The request was closed before the call.")
    if "account_access" in data:
        if data["account_access"]:
            return _("Permission given"), _("Support may log into the account.")
        return _("Permission withdrawn"), _("Support may no longer log into the account.")
    if "assigned_to" in data:
        if data["assigned_to"]:
            return _("Assigned"), _("An agent is looking after this request.")
        return _("Unassigned"), _("The request waits for the next free agent.")
    if data.get("old") == "customer_reply":
        return _("Reopened"), _("The reply reopened the request.")
    if "new" in data:
        return _("Status changed"), _("From “%(old)s” to “%(new)s”.") % {
            # As text: the data is JSON, and a value that is not a status is shown as written.
            "old": choice_value_label(Ticket, "status", str(data.get("old"))),
            "new": choice_value_label(Ticket, "status", str(data.get("new"))),
        }
    return choice_label(event, "kind"), ""


def _handover(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    return _("Handed over"), _("Enterprise Support took over from general support.")


def _verified(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    if event.data.get("account_access"):
        return _("Verified"), _("Confirmed; support may log into the account.")
    return _("Verified"), _("Confirmed; support may not log into the account.")


def _chat_accepted(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    return _("Chat answered"), _("An agent joined the chat.")


def _chat_message(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    return _("Chat message"), ""


def _chat_ended(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    reasons = {reason.value: str(reason.label) for reason in ChatEndReason}
    return _("Chat ended"), reasons.get(str(event.data.get("reason")), "")


def _channel_changed(event: TicketEvent, ticket: Ticket) -> tuple[str, str]:
    labels = {channel.value: str(channel.label) for channel in Channel}
    return _("Contact method changed"), _("From %(old)s to %(new)s.") % {
        "old": labels.get(str(event.data.get("from")), ""),
        "new": labels.get(str(event.data.get("to")), ""),
    }


DESCRIBE: dict[str, Callable[[TicketEvent, Ticket], tuple[str, str]]] = {
    EventKind.CREATED: _created,
    EventKind.QUEUED: _queued,
    EventKind.POSITION_CHANGED: _moved,
    EventKind.CALLED_BACK: _called_back,
    EventKind.EMAIL_SENT: _email_sent,
    EventKind.EMAIL_REPLY: _email_reply,
    EventKind.COMMENT: _comment,
    EventKind.STATUS_CHANGED: _status_changed,
    EventKind.HANDOVER: _handover,
    EventKind.VERIFIED: _verified,
    EventKind.CHAT_ACCEPTED: _chat_accepted,
    EventKind.CHAT_MESSAGE: _chat_message,
    EventKind.CHAT_ENDED: _chat_ended,
    EventKind.CHANNEL_CHANGED: _channel_changed,
}
# Messages that people wrote, as opposed to notes the system kept in English.
WRITTEN_BY_PEOPLE = frozenset({EventKind.COMMENT, EventKind.EMAIL_REPLY, EventKind.CHAT_MESSAGE})


def timeline_entries(
    ticket: Ticket, events: Iterable[TicketEvent], *, viewer: User, private: bool = False
) -> list[TimelineEntry]:
    """The timeline as the viewer reads it. ``private``: the agents' admin, which also shows
    what only the customer sees on their own ticket (the chat's messages)."""
    entries = []
    # Only the customer of a chat (and the agents) may read it: a brand administrator sees
    # that a chat took place and how it ended, not what was written.
    private_chat = not private and viewer.pk != ticket.requester_id
    for event in events:
        if private_chat and event.kind == EventKind.CHAT_MESSAGE:
            continue
        describe = DESCRIBE.get(event.kind)
        title, detail = describe(event, ticket) if describe else (choice_label(event, "kind"), "")
        message = event.message if event.kind in WRITTEN_BY_PEOPLE or describe is None else ""
        actor: Any = event.actor
        if private_chat and event.kind == EventKind.CHAT_ENDED:
            detail = " ".join(
                filter(None, [detail, _("Only the person who chatted can read the conversation.")])
            )
        entries.append(
            TimelineEntry(
                kind=event.kind,
                title=title,
                detail=detail,
                message=message,
                # The name kept on the event: older rows hold the requester as the actor.
                by=_made_for_requester_by(event) or person(actor, viewer=viewer),
                by_support=bool(actor is not None and actor.is_staff),
                at=event.created_at,
            )
        )
    return entries
