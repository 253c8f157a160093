"""Reads about live chats, shaped for the chat page, its fragments, the console and email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from hub.accounts.models import User
from routing.selectors import (
    AgentSkills,
    agent_skills,
    chat_max_chats_per_agent,
    chat_presence_timeout,
    chat_wait_estimate,
)
from routing.waits import Wait
from tickets.models import (
    ChatEndReason,
    ChatMessage,
    ChatMessageKind,
    ChatPresence,
    ChatSession,
    EventKind,
    Team,
    TicketEvent,
)
from tickets.queues import chat_facts
from tickets.selectors import assistant_conversation as conversation_from_events

CONSOLE_WAITING_LIMIT = 50


def is_chat_staff(user: User) -> bool:
    """Support staff who may read every chat (agents, TSMs and administrators)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("tickets.view_ticket")
    )


def _sessions() -> QuerySet[ChatSession]:
    return ChatSession.objects.select_related(
        "ticket__product_area", "ticket__requester", "ticket__organisation", "agent"
    ).prefetch_related("ticket__product_area__translations")


def chat_for_viewer(user: User, number: str, *, for_poll: bool = False) -> ChatSession:
    """The chat of ticket ``number``, for its customer and for support staff; 404 for anyone
    else (other members of the organisation, brand administrators included).

    ``for_poll`` loads only what a poll's answer draws (one query)."""
    if not user.is_authenticated:
        raise Http404
    query = (
        ChatSession.objects.select_related("ticket", "agent").only(*_POLL_FIELDS)
        if for_poll
        else _sessions()
    ).filter(ticket__number=number)
    if not is_chat_staff(user):
        query = query.filter(ticket__requester_id=user.pk)
    try:
        return query.get()
    except ChatSession.DoesNotExist:
        raise Http404 from None


def chat_to_switch(user: User, number: str | None) -> ChatSession | None:
    """The customer's own chat that a contact form turns into another request
    (``?chat=CS-…``): None when no chat is named, or when the chat is over (the new request
    is then one of its own); 404 for anyone else's chat."""
    if not number:
        return None
    session = (
        ChatSession.objects.select_related("ticket")
        .filter(ticket__number=number, ticket__requester_id=user.pk)
        .first()
    )
    if session is None:
        raise Http404
    if session.has_ended and session.end_reason != ChatEndReason.SWITCHED_TO_PHONE:
        return None
    return session


# What a poll's answer draws, and what a changed state redraws (the area loads on demand).
_POLL_FIELDS = (
    "id",
    "created_at",
    "accepted_at",
    "ended_at",
    "end_reason",
    "customer_seen_at",
    "ended_by_id",
    "ticket__id",
    "ticket__number",
    "ticket__requester_id",
    "ticket__product_area_id",
    "ticket__language",
    "ticket__team",
    "ticket__contact_email",
    "agent__id",
    "agent__first_name",
    "agent__last_name",
    "agent__email",
    "agent__is_staff",
)


def chat_messages(session: ChatSession, *, after: int = 0) -> list[ChatMessage]:
    """The chat's messages with ids above ``after``, oldest first (one query)."""
    return list(
        ChatMessage.objects.filter(session_id=session.pk, pk__gt=after)
        .select_related("author")
        .only(*_MESSAGE_FIELDS)
        .order_by("pk")
    )


_MESSAGE_FIELDS = (
    "id",
    "session_id",
    "kind",
    "by_staff",
    "body",
    # The author's page checks a kept draft against the keys of messages already sent.
    "client_key",
    "created_at",
    "author__id",
    "author__first_name",
    "author__last_name",
    "author__email",
)


def chat_last_message_id(messages: list[ChatMessage], after: int = 0) -> int:
    return messages[-1].pk if messages else after


# --- Waiting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatQueueStatus:
    """Where a waiting chat stands: its place, the expected wait, and whether it has waited
    long enough to be offered email or a callback instead."""

    position: int
    waiting_since: datetime
    wait: Wait | None  # None: nobody is in the chat console to take it just now
    waited_too_long: bool


def _chat_max_wait() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "ROUTING_CHAT_MAX_WAIT_MINUTES", 10)))


def chat_position(session: ChatSession) -> int:
    """1 for the next chat of its queue (language × product area × team)."""
    ticket = session.ticket
    return (
        ChatSession.objects.filter(
            accepted_at__isnull=True,
            ended_at__isnull=True,
            ticket__language=ticket.language,
            ticket__product_area_id=ticket.product_area_id,
            ticket__team=ticket.team,
        )
        .filter(
            Q(created_at__lt=session.created_at)
            | Q(created_at=session.created_at, pk__lt=session.pk)
        )
        .count()
        + 1
    )


def chat_queue_status(
    session: ChatSession, *, now: datetime | None = None
) -> ChatQueueStatus | None:
    """None once an agent has the chat, or it has ended."""
    if not session.is_waiting:
        return None
    now = now or timezone.now()
    position = chat_position(session)
    ticket = session.ticket
    estimate = chat_wait_estimate(
        language=ticket.language,
        area_id=ticket.product_area_id,
        team=ticket.queue_team,
        position=position,
        queues=chat_facts(now),
    )
    return ChatQueueStatus(
        position=position,
        waiting_since=session.created_at,
        wait=Wait.of(estimate),
        waited_too_long=now - session.created_at >= _chat_max_wait(),
    )


# --- The agents' console -----------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleStatus:
    """The agent's place in the chat console: their switch, skills and how many chats."""

    takes_chats: bool
    available: bool
    held: int
    limit: int

    @property
    def at_limit(self) -> bool:
        return self.held >= self.limit


def console_status(
    user: User, *, skills: AgentSkills | None = None, now: datetime | None = None
) -> ConsoleStatus:
    now = now or timezone.now()
    skills = skills or agent_skills(user)
    presence = ChatPresence.objects.filter(agent=user).first()
    return ConsoleStatus(
        takes_chats=bool(skills and skills.takes_chats),
        available=bool(
            presence and presence.available and presence.seen_at >= now - chat_presence_timeout()
        ),
        held=ChatSession.objects.filter(agent=user, ended_at__isnull=True).count(),
        limit=chat_max_chats_per_agent(),
    )


def chats_waiting_for(user: User, *, skills: AgentSkills | None = None) -> list[ChatSession]:
    """Waiting chats this agent may take (their languages, areas and team), oldest first."""
    skills = skills or agent_skills(user)
    if skills is None or not skills.takes_chats:
        return []
    teams = [Team.of_queue(team) for team in skills.teams]
    waiting = _sessions().filter(
        accepted_at__isnull=True,
        ended_at__isnull=True,
        ticket__language__in=skills.languages,
        ticket__team__in=teams,
    )
    if skills.area_ids is not None:
        waiting = waiting.filter(
            Q(ticket__product_area_id__in=skills.area_ids) | Q(ticket__product_area__isnull=True)
        )
    return list(waiting.order_by("created_at", "pk")[:CONSOLE_WAITING_LIMIT])


def chats_held_by(user: User, *, ended_since: datetime | None = None) -> list[ChatSession]:
    """The agent's open chats (and those that ended since ``ended_since``), each with its
    messages and the ticket's first event (the assistant conversation), in three queries."""
    held = Q(ended_at__isnull=True)
    if ended_since is not None:
        held |= Q(ended_at__gte=ended_since)
    return list(
        _sessions()
        .filter(held, agent=user)
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=ChatMessage.objects.select_related("author").order_by("pk"),
                to_attr="all_messages",
            ),
            Prefetch(
                "ticket__events",
                queryset=TicketEvent.objects.filter(kind=EventKind.CREATED),
                to_attr="created_events",
            ),
        )
        .order_by("accepted_at", "pk")
    )


def assistant_conversation(session: ChatSession) -> list[dict[str, str]]:
    """The assistant conversation handed over with the chat, if any (prefetched or not)."""
    events = getattr(session.ticket, "created_events", None)
    if events is None:
        events = list(session.ticket.events.filter(kind=EventKind.CREATED))
    return conversation_from_events(events)


# --- The transcript ----------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptLine:
    sent_at: datetime
    speaker: str
    body: str
    kind: str


def speaker_name(message: ChatMessage) -> str:
    """How a message's author is named to the other side: an agent by first name."""
    author = message.author
    if author is None:
        return ""
    if message.by_staff:
        return author.first_name or author.get_full_name() or author.email
    return author.get_full_name() or author.email


def chat_transcript_lines(session: ChatSession) -> list[TranscriptLine]:
    return [
        TranscriptLine(
            sent_at=message.created_at,
            speaker=speaker_name(message),
            body=message.body,
            kind=message.kind,
        )
        for message in chat_messages(session)
        if message.kind in (ChatMessageKind.MESSAGE, ChatMessageKind.JOINED)
    ]


@dataclass(frozen=True)
class ChatsWaiting:
    count: int
    oldest: datetime | None


def chats_waiting() -> ChatsWaiting:
    """Chats no agent has accepted yet, and when the longest-waiting one started, for the
    operators' metrics (one query on the chat_waiting partial index)."""
    row = ChatSession.objects.filter(accepted_at__isnull=True, ended_at__isnull=True).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return ChatsWaiting(count=row["count"], oldest=row["oldest"])
