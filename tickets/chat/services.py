"""Writes on live chats. Each owns its transaction; mail and queueing go out on commit.

Ordering: every write that adds a message locks the chat's row first, so within one chat
message ids are handed out, and committed, in order. A page that has shown every message up
to id N asks for ids above N and can neither miss one nor see one twice.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.accounts.models import User
from hub.accounts.outbox import outbound_email_queue
from routing.models import ProductArea
from routing.selectors import agent_skills, chat_max_chats_per_agent
from tickets import emails
from tickets.models import (
    CHAT_MESSAGE_MAX_CHARS,
    Channel,
    ChatEndReason,
    ChatMessage,
    ChatMessageKind,
    ChatPresence,
    ChatSession,
    ChatTranscriptRequest,
    EventKind,
    Status,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.search import ticket_search_refresh
from tickets.selectors import ticket_due_times_for
from tickets.services import enqueue_on_commit, ticket_create, ticket_transition
from tickets.sweeping import sweep_due, sweep_each

SUBJECT_MAX = 120
# A person types a few messages a minute; a script that floods a chat is stopped here.
RATE_LIMIT_MESSAGES = 30
RATE_LIMIT_WINDOW = timedelta(minutes=1)
# The same words again this soon are more likely a box refilled after a reload, or a
# habitual Enter, than meant: the author is asked before they go out twice.
REPEAT_WINDOW = timedelta(seconds=15)
# The customer's page says it is there at most this often (one small write, not one a poll).
SEEN_EVERY = timedelta(seconds=15)

logger = logging.getLogger(__name__)


class ChatClosed(ValidationError):
    """The chat has ended: nothing more can be written to it."""


class ChatRepeat(ValidationError):
    """The author sent these very words a moment ago: sending them again needs a yes."""


class ChatTaken(ValidationError):
    """Another agent accepted the chat first (or it ended meanwhile)."""


def _closed() -> ChatClosed:
    return ChatClosed(_("This chat has ended."), code="ended")


def chat_subject(message: str) -> str:
    """The ticket's subject from the first message: its first line, cut at a word."""
    line = next((part.strip() for part in message.splitlines() if part.strip()), "")
    line = re.sub(r"\s+", " ", line)
    if len(line) <= SUBJECT_MAX:
        return line
    cut = line[: SUBJECT_MAX - 1].rsplit(" ", 1)[0] or line[: SUBJECT_MAX - 1]
    return cut.rstrip(" ,.;:") + "…"


def chat_body_clean(body: str) -> str:
    """The text of a message as it is kept: stripped, not empty, not too long."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")}, code="empty")
    if len(body) > CHAT_MESSAGE_MAX_CHARS:
        raise ValidationError(
            {
                "body": _("A message can be at most %(limit)d characters long.")
                % {"limit": CHAT_MESSAGE_MAX_CHARS}
            },
            code="too_long",
        )
    return body


def _lock(session: ChatSession) -> ChatSession:
    return (
        ChatSession.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .get(pk=session.pk)
    )


def _notice(session: ChatSession, kind: ChatMessageKind, author: User | None) -> ChatMessage:
    return ChatMessage.objects.create(
        session=session, kind=kind, author=author, by_staff=bool(author and author.is_staff)
    )


# --- Starting ----------------------------------------------------------------------------


def chat_start(
    *,
    requester: User,
    product_area: ProductArea,
    language: str,
    message: str,
    team: Team | str = Team.TECHNICAL,
    subject: str = "",
    idempotency_key: str | None = None,
    event_data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ChatSession:
    """Open a chat: a chat-channel ticket, waiting in its queue, with the first message.

    A retried start (same idempotency key) returns the chat the first one opened. No
    confirmation email: the customer is on the chat page, and asks for the transcript there.
    """
    message = chat_body_clean(message)
    now = now or timezone.now()
    with transaction.atomic():
        ticket = ticket_create(
            requester=requester,
            channel=Channel.CHAT,
            team=team,
            subject=(subject.strip() or chat_subject(message))[:200],
            description=message,
            product_area=product_area,
            language=language,
            idempotency_key=idempotency_key,
            event_data={"source": "hub", **(event_data or {})},
        )
        session, created = ChatSession.objects.get_or_create(
            ticket=ticket, defaults={"last_message_at": now, "customer_seen_at": now}
        )
        if created:
            ChatMessage.objects.create(
                session=session, author=requester, body=message, client_key="start"
            )
    return session


# --- Messages ----------------------------------------------------------------------------


def chat_message_send(
    *,
    session: ChatSession,
    author: User,
    body: str,
    client_key: str = "",
    repeat_confirmed: bool = False,
    now: datetime | None = None,
) -> ChatMessage:
    """Add a message to a running chat, once per client key.

    The customer writes at any time until the chat ends (also while waiting); an agent
    writes to the chats they accepted. The same text as the author's last message, within
    ``REPEAT_WINDOW``, raises ``ChatRepeat`` unless ``repeat_confirmed``.
    """
    body = chat_body_clean(body)
    client_key = (client_key or "")[:64]
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if client_key:
            replay = ChatMessage.objects.filter(session=locked, client_key=client_key).first()
            if replay is not None:
                return replay
        if locked.has_ended:
            raise _closed()
        is_customer = author.pk == locked.ticket.requester_id
        if not is_customer and author.pk != locked.agent_id:
            raise ValidationError(_("Accept this chat to reply to the customer."), code="not_yours")
        # One query serves both checks: the rate limit counts these, the repeat reads the last.
        recent = list(
            ChatMessage.objects.filter(
                session=locked, author=author, created_at__gte=now - RATE_LIMIT_WINDOW
            )
            .order_by("-pk")
            .values_list("body", "created_at")[:RATE_LIMIT_MESSAGES]
        )
        if len(recent) >= RATE_LIMIT_MESSAGES:
            raise ValidationError(
                _("You are sending messages very quickly. Wait a moment, then send again."),
                code="rate_limited",
            )
        if not repeat_confirmed and recent:
            last_body, last_at = recent[0]
            if last_body == body and last_at >= now - REPEAT_WINDOW:
                raise ChatRepeat(
                    _("You sent this same message a moment ago. Send it again?"), code="repeat"
                )
        try:
            with transaction.atomic():
                message = ChatMessage.objects.create(
                    session=locked,
                    author=author,
                    by_staff=not is_customer,
                    body=body,
                    client_key=client_key,
                )
        except IntegrityError:
            # Cannot happen while the chat row is locked; kept for a twin outside the lock.
            return ChatMessage.objects.get(session=locked, client_key=client_key)
        ChatSession.objects.filter(pk=locked.pk).update(last_message_at=now)
    return message


def chat_customer_seen(*, session: ChatSession, now: datetime | None = None) -> None:
    """The customer's page is open: note it now and then (for the console and the sweep)."""
    now = now or timezone.now()
    if session.customer_seen_at is None or now - session.customer_seen_at >= SEEN_EVERY:
        ChatSession.objects.filter(pk=session.pk).update(customer_seen_at=now)
        session.customer_seen_at = now


# --- Agents ------------------------------------------------------------------------------


def chat_presence_set(*, agent: User, available: bool, now: datetime | None = None) -> ChatPresence:
    """The agent's switch in the console: available for chat, or not."""
    now = now or timezone.now()
    presence, created = ChatPresence.objects.get_or_create(
        agent=agent, defaults={"available": available, "seen_at": now, "changed_at": now}
    )
    if not created:
        changed = presence.available != available
        presence.available = available
        presence.seen_at = now
        if changed:
            presence.changed_at = now
        presence.save(update_fields=["available", "seen_at", "changed_at"])
    return presence


def chat_presence_heartbeat(*, agent: User, now: datetime | None = None) -> None:
    """The console is open: the agent's switch stays on for another minute."""
    ChatPresence.objects.filter(agent=agent).update(seen_at=now or timezone.now())


def _takes_this_chat(agent: User, ticket: Ticket) -> bool:
    skills = agent_skills(agent)
    if skills is None or not skills.takes_chats:
        return False
    return (
        ticket.language in skills.languages
        and ticket.queue_team.value in skills.teams
        and (skills.area_ids is None or ticket.product_area_id in skills.area_ids)
    )


def chat_accept(*, session_id: int, agent: User, now: datetime | None = None) -> ChatSession:
    """The agent takes a waiting chat. Two agents accepting at once: one wins, the other
    gets ChatTaken (the conditional update below waits for the winner's commit, then finds
    the chat accepted)."""
    now = now or timezone.now()
    session = ChatSession.objects.select_related("ticket").filter(pk=session_id).first()
    if session is None:
        raise ChatTaken(_("This chat no longer exists."), code="gone")
    if not _takes_this_chat(agent, session.ticket):
        raise ValidationError(
            _("This chat is in a language, product area or team you do not cover."),
            code="not_your_skill",
        )
    limit = chat_max_chats_per_agent()
    with transaction.atomic():
        # One agent's accepts one at a time, so that two tabs cannot pass the limit together.
        presence = chat_presence_set(agent=agent, available=_is_available(agent), now=now)
        ChatPresence.objects.select_for_update().filter(pk=presence.pk).first()
        held = ChatSession.objects.filter(agent=agent, ended_at__isnull=True).count()
        if held >= limit:
            raise ValidationError(
                _("You already have %(count)d chats open. End one to take another.")
                % {"count": held},
                code="at_limit",
            )
        taken = ChatSession.objects.filter(
            pk=session.pk, accepted_at__isnull=True, ended_at__isnull=True
        ).update(agent=agent, accepted_at=now)
        if not taken:
            raise ChatTaken(
                _("Another agent has just taken this chat, or the customer left it."),
                code="taken",
            )
        session.refresh_from_db()
        ticket = Ticket.objects.select_for_update().get(pk=session.ticket_id)
        ticket.assigned_to = agent
        update = ["assigned_to", "updated_at"]
        if ticket.first_responded_at is None:
            # Accepting the chat is the first response its target measures.
            ticket.first_responded_at = now
            update.append("first_responded_at")
        ticket.save(update_fields=update)
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.CHAT_ACCEPTED,
            actor=agent,
            data={"agent": agent.get_full_name() or agent.email},
        )
        ticket_transition(ticket=ticket, to=Status.IN_PROGRESS, actor=agent, notify=False)
        _notice(session, ChatMessageKind.JOINED, agent)
    return session


def _is_available(agent: User) -> bool:
    presence = ChatPresence.objects.filter(agent=agent).only("available").first()
    return bool(presence and presence.available)


# --- Ending ------------------------------------------------------------------------------


def _transcript_write(session: ChatSession, now: datetime) -> int:
    """Copy the chat's messages into the ticket's timeline, at the times they were sent."""
    if session.transcript_written_at is not None:
        return 0
    messages = list(
        ChatMessage.objects.filter(session=session, kind=ChatMessageKind.MESSAGE).order_by("id")
    )
    events = TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=session.ticket_id,
            kind=EventKind.CHAT_MESSAGE,
            actor_id=message.author_id,
            message=message.body,
            data={"chat_message": message.pk, "by_staff": message.by_staff},
        )
        for message in messages
    )
    for event, message in zip(events, messages, strict=True):
        event.created_at = message.created_at
    # The timeline is in time order: each line keeps the moment it was written, not now.
    TicketEvent.objects.bulk_update(events, ["created_at"], batch_size=500)
    ticket_search_refresh([session.ticket_id])
    ChatSession.objects.filter(pk=session.pk).update(transcript_written_at=now)
    session.transcript_written_at = now
    return len(events)


def _close(locked: ChatSession, *, by: User | None, reason: ChatEndReason, now: datetime) -> None:
    locked.ended_at = now
    locked.ended_by = by
    locked.end_reason = reason
    locked.save(update_fields=["ended_at", "ended_by", "end_reason"])
    _notice(locked, ChatMessageKind.ENDED, by)
    _transcript_write(locked, now)
    TicketEvent.objects.create(
        ticket_id=locked.ticket_id,
        kind=EventKind.CHAT_ENDED,
        actor=by,
        data={"reason": str(reason), "messages": locked.messages.count()},
    )


def chat_end(
    *,
    session: ChatSession,
    by: User | None,
    reason: ChatEndReason | None = None,
    now: datetime | None = None,
) -> ChatSession:
    """Either side (or the sweep) ends the chat: the transcript goes to the timeline and the
    ticket is solved. Ending an ended chat changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(session)
        if locked.has_ended:
            return locked
        if reason is None:
            is_customer = by is not None and by.pk == locked.ticket.requester_id
            reason = ChatEndReason.CUSTOMER if is_customer else ChatEndReason.AGENT
        _close(locked, by=by, reason=reason, now=now)
        # The customer saw it end on the page: no status email for a live chat.
        ticket_transition(ticket=locked.ticket, to=Status.SOLVED, actor=by, notify=False)
    _copy_end(locked, session)
    return locked


def _copy_end(locked: ChatSession, session: ChatSession) -> None:
    """The caller's instance says the chat has ended too."""
    session.ended_at, session.ended_by_id = locked.ended_at, locked.ended_by_id
    session.end_reason = locked.end_reason
    session.transcript_written_at = locked.transcript_written_at


def _customer_text(session: ChatSession) -> str:
    """What the customer wrote, as the description of the ticket the chat becomes."""
    bodies = ChatMessage.objects.filter(
        session=session, kind=ChatMessageKind.MESSAGE, by_staff=False
    ).values_list("body", flat=True)
    return "\n\n".join(bodies)


def _switch(
    session: ChatSession, *, by: User, reason: ChatEndReason, now: datetime
) -> tuple[ChatSession, bool]:
    """Lock and end the chat for a switch; False when this switch was already made."""
    locked = _lock(session)
    if locked.has_ended:
        if locked.end_reason == reason:
            return locked, False
        raise _closed()
    _close(locked, by=by, reason=reason, now=now)
    _copy_end(locked, session)
    return locked, True


def _due_times_follow_channel(ticket: Ticket) -> None:
    """A chat that becomes an email or a callback is held to that channel's targets, still
    counted from when the customer first asked (the caller saves the ticket)."""
    due = ticket_due_times_for(
        organisation_id=ticket.organisation_id,
        channel=ticket.channel,
        team=ticket.team,
        language=ticket.language,
        created_at=ticket.created_at,
    )
    ticket.first_response_due_at = due.first_response_due_at
    ticket.resolution_due_at = due.resolution_due_at


def chat_switch_to_email(
    *,
    session: ChatSession,
    by: User,
    team: Team | str = Team.TECHNICAL,
    handover_due_at: datetime | None = None,
    reason: ChatEndReason = ChatEndReason.SWITCHED_TO_EMAIL,
    now: datetime | None = None,
) -> Ticket:
    """The chat becomes an email request: same ticket, everything written kept (as its
    description and on its timeline), and the usual confirmation email."""
    from tickets import tasks  # noqa: PLC0415 - the tasks call these services

    now = now or timezone.now()
    with transaction.atomic():
        locked, switched = _switch(session, by=by, reason=reason, now=now)
        ticket = Ticket.objects.select_for_update().get(pk=locked.ticket_id)
        if not switched:
            return ticket
        ticket.channel = Channel.EMAIL
        ticket.team = team
        ticket.description = _customer_text(locked) or ticket.description
        ticket.handover_due_at = handover_due_at
        _due_times_follow_channel(ticket)
        # An agent who had taken the chat keeps the request and answers it by email.
        ticket.save(
            update_fields=[
                "channel",
                "team",
                "description",
                "handover_due_at",
                "first_response_due_at",
                "resolution_due_at",
                "updated_at",
            ]
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.CHANNEL_CHANGED,
            actor=by,
            data={"from": Channel.CHAT, "to": Channel.EMAIL, "reason": str(reason)},
        )
        enqueue_on_commit(tasks.send_ticket_confirmation, ticket.pk)
    return ticket


def chat_switch_to_phone(
    *,
    session: ChatSession,
    by: User,
    phone_number: str,
    phone_extension: str = "",
    contact_email: str = "",
    subject: str = "",
    account_access_allowed: bool = False,
    recording_consent: bool | None = None,
    team: Team | str = Team.TECHNICAL,
    language: str | None = None,
    callback_due_at: datetime | None = None,
    handover_due_at: datetime | None = None,
    now: datetime | None = None,
) -> Ticket:
    """The chat becomes a phone callback on the same ticket; it joins the callback queue now
    (or at ``callback_due_at``) and the usual confirmation follows."""
    from tickets import tasks  # noqa: PLC0415 - the tasks call these services

    now = now or timezone.now()
    with transaction.atomic():
        locked, switched = _switch(session, by=by, reason=ChatEndReason.SWITCHED_TO_PHONE, now=now)
        ticket = Ticket.objects.select_for_update().get(pk=locked.ticket_id)
        if not switched:
            return ticket
        ticket.channel = Channel.PHONE
        ticket.team = team
        ticket.language = language or ticket.language
        if subject.strip():
            ticket.subject = subject.strip()[:200]
        ticket.description = _customer_text(locked) or ticket.description
        ticket.phone_number = phone_number
        ticket.phone_extension = phone_extension
        ticket.contact_email = contact_email or ticket.contact_email
        ticket.account_access_allowed = account_access_allowed
        ticket.account_access_changed_at = now
        ticket.recording_consent = recording_consent
        ticket.recording_consent_at = now if recording_consent is not None else None
        ticket.callback_due_at = callback_due_at
        ticket.handover_due_at = handover_due_at
        ticket.assigned_to = None
        if ticket.status == Status.IN_PROGRESS:
            # Back in a queue: the callback queue takes it from here.
            ticket_transition(ticket=ticket, to=Status.QUEUED, actor=by, notify=False)
            ticket.refresh_from_db(fields=["status"])
        _due_times_follow_channel(ticket)
        ticket.full_clean(exclude=["number"])
        ticket.save()
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.CHANNEL_CHANGED,
            actor=by,
            data={"from": Channel.CHAT, "to": Channel.PHONE},
        )
        if callback_due_at is None or callback_due_at <= now:
            enqueue_on_commit(tasks.enqueue_callback, ticket.pk)
        else:
            enqueue_on_commit(tasks.send_ticket_confirmation, ticket.pk)
    return ticket


# --- The transcript by email -------------------------------------------------------------


def chat_transcript_request(*, session: ChatSession, by: User, key: str) -> ChatTranscriptRequest:
    """The customer asks for the transcript: one email per request key."""
    if by.pk != session.ticket.requester_id:
        raise ValidationError(_("Only the customer of the chat can ask for its transcript."))
    if not session.has_ended:
        raise ValidationError(_("The transcript can be sent once the chat has ended."))
    key = (key or "")[:64]
    if not key:
        raise ValidationError(_("This form has expired. Send it again."), code="expired")
    with transaction.atomic():
        request, created = ChatTranscriptRequest.objects.get_or_create(session=session, key=key)
    if created:
        try:
            chat_transcript_send(request_id=request.pk)
        except Exception:
            # The request is kept: the chat sweep tries again, counting failures on the row.
            logger.exception("transcript %s could not be written; left to the sweep", request.pk)
    return request


# --- Work beat does ----------------------------------------------------------------------


def _minutes(name: str, default: int) -> timedelta:
    return timedelta(minutes=float(getattr(settings, name, default)))


def chat_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """End chats that fell silent, turn chats whose customer left before an agent answered
    into email requests (their question is answered by email, nothing is lost), and send the
    transcripts the broker never got. Row by row (tickets.sweeping): one that fails is
    counted, tried later and parked in the end, and never stops the others."""
    now = now or timezone.now()
    sessions = sweep_due(ChatSession.objects.all(), now=now)
    silent = sessions.filter(
        ended_at__isnull=True,
        accepted_at__isnull=False,
        last_message_at__lt=now - _minutes("CHAT_IDLE_END_MINUTES", 30),
    )

    def end_silent(session_id: int) -> bool:
        session = ChatSession.objects.select_related("ticket").get(pk=session_id)
        chat_end(session=session, by=None, reason=ChatEndReason.IDLE, now=now)
        return True

    ended, failed_end = sweep_each(
        ChatSession,
        silent.values_list("pk", flat=True)[:200],
        end_silent,
        now=now,
        what="end silent chat",
    )
    left = sessions.filter(
        ended_at__isnull=True,
        accepted_at__isnull=True,
        customer_seen_at__lt=now - _minutes("CHAT_ABANDONED_MINUTES", 10),
    )

    def to_email(session_id: int) -> bool:
        session = ChatSession.objects.select_related("ticket", "ticket__requester").get(
            pk=session_id
        )
        chat_switch_to_email(
            session=session,
            by=session.ticket.requester,
            team=session.ticket.team,
            reason=ChatEndReason.ABANDONED,
            now=now,
        )
        return True

    to_emailed, failed_switch = sweep_each(
        ChatSession,
        left.values_list("pk", flat=True)[:200],
        to_email,
        now=now,
        what="abandoned chat to email",
    )
    settled = now - timedelta(seconds=getattr(settings, "TICKETS_SWEEP_GRACE", 20))
    unsent = sweep_due(ChatTranscriptRequest.objects.all(), now=now).filter(
        sent_at__isnull=True, requested_at__lte=settled
    )
    transcripts, failed_transcripts = sweep_each(
        ChatTranscriptRequest,
        unsent.values_list("pk", flat=True)[:200],
        lambda request_id: chat_transcript_send(request_id=request_id),
        now=now,
        what="chat transcript",
    )
    return {
        "ended": ended,
        "to_email": to_emailed,
        "transcripts": transcripts,
        "failed": failed_end + failed_switch + failed_transcripts,
    }


def chat_transcript_send(*, request_id: int) -> bool:
    """Write a chat's transcript to the outbox once per request."""
    with transaction.atomic():
        request = (
            ChatTranscriptRequest.objects.select_for_update(of=("self",))
            .select_related("session__ticket__requester")
            .filter(pk=request_id, sent_at__isnull=True)
            .first()
        )
        if request is None:
            return False
        outbound_email_queue(emails.transcript_message(request), purpose="transcript")
        request.sent_at = timezone.now()
        request.save(update_fields=["sent_at"])
        TicketEvent.objects.create(
            ticket=request.session.ticket,
            kind=EventKind.EMAIL_SENT,
            data={"email": "transcript", "request": request.pk},
        )
    return True
