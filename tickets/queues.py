"""The queues as the tickets app measures them, handed to routing as plain facts.

Routing estimates waits from the roster and these measurements, and never reads the
tickets' tables itself; whoever shows an offer or a queue's status (the flow, the ticket
and chat pages) measures here and passes the facts to ``routing.selectors``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from routing.policy import Method
from routing.policy import Team as QueueTeam
from routing.selectors import (
    HANDLE_TIME_HISTORY,
    HANDLE_TIME_MAX_ROWS,
    HandleSample,
    QueueFacts,
    arrival_window,
    chat_presence_timeout,
)
from tickets.models import (
    QUEUED_TEAMS,
    CallbackRequest,
    Channel,
    ChatPresence,
    ChatSession,
    Status,
    Team,
    Ticket,
)

_QUEUE_TEAM_VALUES = [team.queue_team.value for team in QUEUED_TEAMS]
_TICKET_TEAM_VALUES = [team.value for team in QUEUED_TEAMS]


def phone_handle_samples(now: datetime) -> list[HandleSample]:
    """Callbacks solved lately: from the moment an agent took the call to the solution."""
    rows = (
        CallbackRequest.objects.filter(
            taken_at__isnull=False,
            ticket__solved_at__isnull=False,
            ticket__solved_at__gte=now - HANDLE_TIME_HISTORY,
            ticket__solved_at__lte=now,
            team__in=_QUEUE_TEAM_VALUES,
        )
        .order_by("-ticket__solved_at")
        .values_list("language", "product_area_id", "team", "taken_at", "ticket__solved_at")[
            :HANDLE_TIME_MAX_ROWS
        ]
    )
    return [
        HandleSample(language, area_id, QueueTeam(team), solved - taken)
        for language, area_id, team, taken, solved in rows
        if taken is not None and solved is not None
    ]


def chat_handle_samples(now: datetime) -> list[HandleSample]:
    """Chats solved lately: from the chat's start to its end."""
    rows = (
        Ticket.objects.filter(
            channel=Channel.CHAT,
            solved_at__isnull=False,
            solved_at__gte=now - HANDLE_TIME_HISTORY,
            solved_at__lte=now,
            team__in=_TICKET_TEAM_VALUES,
        )
        .order_by("-solved_at")
        .values_list("language", "product_area_id", "team", "created_at", "solved_at")[
            :HANDLE_TIME_MAX_ROWS
        ]
    )
    return [
        HandleSample(language, area_id, Team(team).queue_team, solved - created)
        for language, area_id, team, created, solved in rows
        if solved is not None
    ]


def _phone_counts(
    area_id: int | None, languages: Collection[str], now: datetime
) -> dict[tuple[Method, str, QueueTeam], tuple[int, int]]:
    """(waiting callbacks, arrivals in the window) per (language, team); one query."""
    since = now - arrival_window()
    rows = (
        CallbackRequest.objects.filter(product_area_id=area_id, language__in=languages)
        .filter(team__in=_QUEUE_TEAM_VALUES, enqueued_at__lte=now)
        .filter(Q(taken_at__isnull=True) | Q(enqueued_at__gte=since))
        .values("language", "team")
        .annotate(
            waiting=Count("pk", filter=Q(taken_at__isnull=True)),
            arrivals=Count("pk", filter=Q(enqueued_at__gte=since)),
        )
        .order_by()
    )
    return {
        (Method.PHONE, row["language"], QueueTeam(row["team"])): (row["waiting"], row["arrivals"])
        for row in rows
    }


def _chat_counts(
    area_id: int | None, languages: Collection[str], now: datetime
) -> dict[tuple[Method, str, QueueTeam], tuple[int, int]]:
    """(chats waiting for an agent, chats opened in the window) per (language, team)."""
    since = now - arrival_window()
    waiting = Q(status__in=[Status.NEW, Status.QUEUED])
    rows = (
        Ticket.objects.filter(
            channel=Channel.CHAT,
            product_area_id=area_id,
            language__in=languages,
            team__in=_TICKET_TEAM_VALUES,
            created_at__lte=now,
        )
        .filter(waiting | Q(created_at__gte=since))
        .values("language", "team")
        .annotate(
            waiting=Count("pk", filter=waiting),
            arrivals=Count("pk", filter=Q(created_at__gte=since)),
        )
        .order_by()
    )
    return {
        (Method.CHAT, row["language"], Team(row["team"]).queue_team): (
            row["waiting"],
            row["arrivals"],
        )
        for row in rows
    }


def chat_console(now: datetime) -> dict[int, int]:
    """The agents in the chat console now (switched on, heartbeat fresh), by user id, with
    the number of chats each holds; one query."""
    held = (
        ChatSession.objects.filter(agent_id=OuterRef("agent_id"), ended_at__isnull=True)
        .order_by()
        .values("agent_id")
        .annotate(held=Count("pk"))
        .values("held")
    )
    rows = (
        ChatPresence.objects.filter(available=True, seen_at__gte=now - chat_presence_timeout())
        .annotate(held=Coalesce(Subquery(held, output_field=IntegerField()), 0))
        .values_list("agent_id", "held")
    )
    return dict(rows)


def queue_facts(*, area_id: int | None, languages: Collection[str], now: datetime) -> QueueFacts:
    """Everything the contact offers of one area need: both queues' counts in these
    languages, the handle samples and the chat console (five queries)."""
    return QueueFacts(
        counts={**_phone_counts(area_id, languages, now), **_chat_counts(area_id, languages, now)},
        handle_samples={
            Method.PHONE: phone_handle_samples(now),
            Method.CHAT: chat_handle_samples(now),
        },
        chat_console=chat_console(now),
    )


def callback_facts(now: datetime) -> QueueFacts:
    """What a queued callback's wait needs: the phone handle samples."""
    return QueueFacts(handle_samples={Method.PHONE: phone_handle_samples(now)})


def chat_facts(now: datetime) -> QueueFacts:
    """What a waiting chat's wait needs: the chat handle samples and the chat console."""
    return QueueFacts(
        handle_samples={Method.CHAT: chat_handle_samples(now)}, chat_console=chat_console(now)
    )
