"""The agents' queue board: every callback and chat queue at a glance, read in a fixed number
of queries whatever the number of tickets.

What waits is read live over the partial indexes of what waits now (``tickets.queues``);
arrivals and handle times come from the statistics beat refreshes; who is on shift and the
wait quoted to a customer joining the queue now come from routing, worked out exactly as
the contact offers work them out (``routing.selectors.board_queues``).

An agent on shift is **busy** while on a callback (taken in the last two hours and still in
progress) or, for a chat queue, while holding as many chats as they may; **free** otherwise
(for a chat queue: in the chat console with room for another chat).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from routing.languages import language_name
from routing.models import ProductArea
from routing.policy import Method, Team
from routing.selectors import (
    HANDLE_TIME_CAP,
    AgentSkills,
    board_queues,
    chat_max_chats_per_agent,
)
from routing.waits import Wait
from tickets.models import CallbackRequest, Status
from tickets.models import Team as TicketTeam
from tickets.queues import queue_facts_by_area, waiting_queues
from tickets.selectors import QueueTargets, open_targets_by_queue


class BoardShows(StrEnum):
    """Which queues the board lists (its ``show`` parameter)."""

    EVERY_QUEUE = "all"
    MINE = "mine"  # the callback queues the agent can take from
    WAITING = "waiting"  # queues somebody waits in


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One queue on the board."""

    method: Method
    language: str
    area: ProductArea
    team: Team
    waiting: int
    oldest: datetime | None
    longest_wait: timedelta | None
    quoted: Wait | None
    on_shift: int
    free: int
    busy: int
    # Phone queues the signed-in agent has the skills for: "Take the next callback".
    can_take: bool
    # Its open tickets past a service-level target, or due within the hour.
    targets: QueueTargets = QueueTargets()

    @property
    def language_label(self) -> str:
        return language_name(self.language)

    @property
    def code(self) -> str:
        """The queue's id in URLs and HTML ids: ``phone.en.cx-dashboards.general``."""
        return f"{self.method.value}.{self.language}.{self.area.slug}.{self.team.value}"


def takes_from(skills: AgentSkills | None, *, language: str, area_id: int, team: Team) -> bool:
    """Whether an agent with these skills may take this queue's callbacks."""
    return (
        skills is not None
        and language in skills.languages
        and team.value in skills.teams
        and (skills.area_ids is None or area_id in skills.area_ids)
    )


def _busy_on_calls(agent_ids: Collection[int], now: datetime) -> set[int]:
    """The agents among these who are on a callback now (one query, by the agents' rows)."""
    return set(
        CallbackRequest.objects.filter(
            taken_by_id__in=agent_ids,
            taken_at__gte=now - HANDLE_TIME_CAP,
            ticket__status=Status.IN_PROGRESS,
        ).values_list("taken_by_id", flat=True)
    )


def _chat_counts(
    not_on_calls: AbstractSet[int],
    on_calls: AbstractSet[int],
    console: Mapping[int, int],
    limit: int,
) -> tuple[int, int]:
    """A chat queue's free and busy agents among those on shift with its skill."""
    room = {agent for agent in not_on_calls if agent in console and console[agent] < limit}
    full = {agent for agent in not_on_calls if agent in console and console[agent] >= limit}
    return len(room), len(on_calls | full)


def queue_board(
    *, skills: AgentSkills | None, now: datetime, shows: BoardShows = BoardShows.EVERY_QUEUE
) -> list[BoardRow]:
    """The queues ``shows`` asks for: those somebody waits in first, longest wait first;
    then by area, method, language and team.

    ``skills`` are the signed-in agent's (``routing.selectors.agent_skills``)."""
    waiting = waiting_queues(now)
    facts = queue_facts_by_area(waiting, now)
    by_queue = {
        (queue.method, queue.language, queue.area_id, queue.team): queue for queue in waiting
    }
    queues = board_queues(facts_by_area=facts, waiting=set(by_queue), now=now)
    on_shift = {agent for queue in queues for agent in queue.on_shift}
    on_calls = _busy_on_calls(on_shift, now) if on_shift else set()
    targets = open_targets_by_queue(now, channels=[Method.PHONE.value, Method.CHAT.value])
    limit = chat_max_chats_per_agent()
    rows = []
    for queue in queues:
        measured = by_queue.get((queue.method, queue.key.language, queue.area.pk, queue.key.team))
        busy = queue.on_shift & on_calls
        if queue.method == Method.CHAT:
            console = facts[queue.area.pk].chat_console
            free_count, busy_count = _chat_counts(queue.on_shift - busy, busy, console, limit)
        else:
            free_count, busy_count = len(queue.on_shift - busy), len(busy)
        rows.append(
            BoardRow(
                method=queue.method,
                language=queue.key.language,
                area=queue.area,
                team=queue.key.team,
                waiting=measured.waiting if measured else 0,
                oldest=measured.oldest if measured else None,
                longest_wait=now - measured.oldest if measured else None,
                quoted=Wait.of(queue.wait),
                on_shift=len(queue.on_shift),
                free=free_count,
                busy=busy_count,
                can_take=queue.method == Method.PHONE
                and takes_from(
                    skills, language=queue.key.language, area_id=queue.area.pk, team=queue.key.team
                ),
                targets=targets.get(
                    (
                        queue.method.value,
                        TicketTeam.of_queue(queue.key.team).value,
                        queue.key.language,
                        queue.area.pk,
                    ),
                    QueueTargets(),
                ),
            )
        )
    if shows == BoardShows.MINE:
        rows = [row for row in rows if row.can_take]
    elif shows == BoardShows.WAITING:
        rows = [row for row in rows if row.waiting]
    # Waiting rows first, oldest first; then the roster's order (area, method, language, team).
    return sorted(rows, key=lambda row: (row.oldest is None, row.oldest or now))
