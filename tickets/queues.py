"""The queues as the tickets app measures them, handed to routing as plain facts.

Routing estimates waits from the roster and these measurements, and never reads the
tickets' tables itself; whoever shows an offer or a queue's status (the flow, the ticket
and chat pages) measures here and passes the facts to ``routing.selectors``.

No page reads the history of tickets. The facts come in two kinds, by how fresh they must be:

- **Live**, read on every request through partial indexes that hold only what waits now, so
  their cost is the length of the queue, never the number of tickets: callbacks and chats
  waiting (a customer who has just asked for a callback sees the queue with them in it), and
  the chat console (who is switched on and how many chats each holds: the next chat must not
  be offered to an agent who has just taken their last free one).
- **Recomputed by beat** every few seconds (``queue_statistics_refresh``, scheduled in
  ``CELERY_BEAT_SCHEDULE``) into ``QueueStatistic``, a table of at most one row per
  method × team × language × product area: arrivals in the arrival window (an hour's rate,
  which a few seconds do not change) and the handle-time samples of the last 30 days, summed.
  A page reads them in one query. Until beat has run once, they read as no arrivals and
  the default handle time.

``queue_facts`` is therefore one query (waiting counts, statistics, console) whatever the
volume of tickets.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from django.db import connection, transaction
from django.db.models import (
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay

from hub.compiled_rows import CompiledRows
from routing.policy import Method
from routing.policy import Team as QueueTeam
from routing.selectors import (
    HANDLE_TIME_HISTORY,
    HANDLE_TIME_MAX_ROWS,
    HandleSample,
    HandleTimes,
    HandleTotal,
    QueueFacts,
    arrival_window,
    chat_presence_timeout,
    handle_times_of,
)
from tickets.models import (
    QUEUED_TEAMS,
    CallbackRequest,
    Channel,
    ChatPresence,
    ChatSession,
    QueueStatistic,
    Team,
    Ticket,
)

_QUEUE_TEAM_VALUES = [team.queue_team.value for team in QUEUED_TEAMS]
_TICKET_TEAM_VALUES = [team.value for team in QUEUED_TEAMS]
_METHODS = (Method.PHONE, Method.CHAT)


# --- Recomputed by beat ------------------------------------------------------------------------


def phone_handle_samples(now: datetime) -> list[HandleSample]:
    """Callbacks solved lately: from the moment an agent took the call to the solution."""
    rows = (
        CallbackRequest.objects.filter(
            ticket__channel=Channel.PHONE,
            ticket__solved_at__isnull=False,
            ticket__solved_at__gte=now - HANDLE_TIME_HISTORY,
            ticket__solved_at__lte=now,
            taken_at__isnull=False,
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


_Queue = tuple[Method, str, int | None, QueueTeam]  # method, language, area id, team


def _arrivals(now: datetime) -> dict[_Queue, int]:
    """Callbacks queued and chats opened in the arrival window, per queue (two queries over
    the window's rows only: both read an index on the moment they joined)."""
    since = now - arrival_window()
    arrivals: dict[_Queue, int] = {}
    callbacks = (
        CallbackRequest.objects.filter(
            enqueued_at__gte=since, enqueued_at__lte=now, team__in=_QUEUE_TEAM_VALUES
        )
        .values_list("language", "product_area_id", "team")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for language, area_id, team, count in callbacks:
        arrivals[(Method.PHONE, language, area_id, QueueTeam(team))] = count
    chats = (
        Ticket.objects.filter(
            created_at__gte=since,
            created_at__lte=now,
            channel=Channel.CHAT,
            team__in=_TICKET_TEAM_VALUES,
        )
        .values_list("language", "product_area_id", "team")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for language, area_id, team, count in chats:
        arrivals[(Method.CHAT, language, area_id, Team(team).queue_team)] = count
    return arrivals


def _statistic_rows(
    arrivals: dict[_Queue, int], handle: dict[Method, HandleTimes], now: datetime
) -> list[QueueStatistic]:
    queues: set[_Queue] = set(arrivals)
    for method, times in handle.items():
        queues.update((method, *queue) for queue in times.by_queue)
    rows = []
    for method, language, area_id, team in sorted(queues, key=str):
        total = handle[method].by_queue.get((language, area_id, team), HandleTotal())
        rows.append(
            QueueStatistic(
                method=method.value,
                team=team.value,
                language=language,
                product_area_id=area_id,
                arrivals=arrivals.get((method, language, area_id, team), 0),
                handled=total.samples,
                handle_seconds=total.seconds,
                computed_at=now,
            )
        )
    for method, times in handle.items():
        for team, total in times.by_team.items():
            rows.append(
                QueueStatistic(
                    method=method.value,
                    team=team.value,
                    language="",
                    product_area_id=None,
                    handled=total.samples,
                    handle_seconds=total.seconds,
                    computed_at=now,
                )
            )
    return rows


def queue_statistics_refresh(*, now: datetime) -> int:
    """Measure arrivals and handle times as of ``now`` and replace the statistics with them,
    in one transaction (readers see the old figures or the new ones, never a mix). Returns
    the number of rows written. Idempotent; two at once take turns."""
    handle = {
        Method.PHONE: handle_times_of(phone_handle_samples(now)),
        Method.CHAT: handle_times_of(chat_handle_samples(now)),
    }
    rows = _statistic_rows(_arrivals(now), handle, now)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Refreshes queue one behind the other; pages go on reading meanwhile.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {QueueStatistic._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"
                )
        QueueStatistic.objects.all().delete()
        QueueStatistic.objects.bulk_create(rows)
    return len(rows)


def callback_arrival_profile(
    *, since: datetime, until: datetime
) -> dict[tuple[str, int | None, QueueTeam], dict[tuple[int, int], float]]:
    """Callbacks that joined each queue, per weekday and hour (UTC, Monday 0), as a rate per
    hour averaged over the weeks of ``[since, until)``: what the simulation is fed with
    (one aggregate query)."""
    weeks = max(1.0, (until - since).total_seconds() / (7 * 24 * 3600))
    rows = (
        CallbackRequest.objects.filter(
            enqueued_at__gte=since, enqueued_at__lt=until, team__in=_QUEUE_TEAM_VALUES
        )
        .annotate(
            weekday=ExtractIsoWeekDay("enqueued_at", tzinfo=UTC),
            hour=ExtractHour("enqueued_at", tzinfo=UTC),
        )
        .values_list("language", "product_area_id", "team", "weekday", "hour")
        .annotate(count=Count("pk"))
        .order_by()
    )
    profile: dict[tuple[str, int | None, QueueTeam], dict[tuple[int, int], float]] = defaultdict(
        dict
    )
    for language, area_id, team, weekday, hour, count in rows:
        profile[(language, area_id, QueueTeam(team))][(weekday - 1, hour)] = count / weeks
    return dict(profile)


# --- Read by the pages -------------------------------------------------------------------------


_Statistic = tuple[str, str, str, int | None, int, int, float]


def _statistics(
    methods: Iterable[Method], *, area_id: int | None = None, languages: Collection[str] = ()
) -> list[_Statistic]:
    """The statistics rows of these methods: every team's, and those of the area's queues in
    these languages (none given: every queue's)."""
    return list(_statistics_query(methods, area_id=area_id, languages=languages))


def _statistics_query(
    methods: Iterable[Method], *, area_id: int | None = None, languages: Collection[str] = ()
) -> QuerySet[QueueStatistic, _Statistic]:
    rows = QueueStatistic.objects.filter(method__in=[method.value for method in methods])
    if languages:
        rows = rows.filter(Q(language="") | Q(product_area_id=area_id, language__in=languages))
    return rows.values_list(
        "method", "team", "language", "product_area_id", "arrivals", "handled", "handle_seconds",
    )  # fmt: skip


@functools.cache
def _phone_statistics(vendor: str) -> CompiledRows:
    """Every queue's phone statistics, compiled once per process: a waiting callback's page
    and its polled place read them, and building the query took 40 % of reading it."""
    return CompiledRows(_statistics_query([Method.PHONE]), {})


def _handle_times(rows: Iterable[_Statistic]) -> dict[Method, HandleTimes]:
    by_queue: dict[Method, dict[tuple[str, int | None, QueueTeam], HandleTotal]] = defaultdict(dict)
    by_team: dict[Method, dict[QueueTeam, HandleTotal]] = defaultdict(dict)
    for method, team, language, area_id, _arrived, handled, seconds in rows:
        if not handled:
            continue
        total = HandleTotal(handled, seconds)
        if language:
            by_queue[Method(method)][(language, area_id, QueueTeam(team))] = total
        else:
            by_team[Method(method)][QueueTeam(team)] = total
    return {
        method: HandleTimes(by_queue=by_queue[method], by_team=by_team[method])
        for method in _METHODS
        if method in by_queue or method in by_team
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


def _queue_facts_sql(*, area_id: int | None, language_count: int) -> str:
    """One statement for ``queue_facts``: waiting callbacks and chats, the statistics rows
    and the chat console, as rows of (part, method, language, team, area or agent, three
    figures). Written out because the page reads it on every request, and the ORM spent
    several times the database's own time building the three queries it replaces."""
    callbacks = CallbackRequest._meta.db_table
    chats = ChatSession._meta.db_table
    tickets = Ticket._meta.db_table
    statistics = QueueStatistic._meta.db_table
    presence = ChatPresence._meta.db_table
    languages = ", ".join(["%s"] * language_count)
    queue_teams = ", ".join(["%s"] * len(_QUEUE_TEAM_VALUES))
    ticket_teams = ", ".join(["%s"] * len(_TICKET_TEAM_VALUES))
    methods = ", ".join(["%s"] * len(_METHODS))
    area = "IS NULL" if area_id is None else "= %s"
    statement = f"""
        SELECT 'waiting', 'phone', language, team, CAST(NULL AS INTEGER), COUNT(*), 0,
            CAST(0 AS REAL)
        FROM {callbacks}
        WHERE taken_at IS NULL AND product_area_id {area} AND language IN ({languages})
            AND team IN ({queue_teams}) AND enqueued_at <= %s
        GROUP BY language, team
        UNION ALL
        SELECT 'waiting', 'chat', t.language, t.team, CAST(NULL AS INTEGER), COUNT(*), 0,
            CAST(0 AS REAL)
        FROM {chats} c INNER JOIN {tickets} t ON c.ticket_id = t.id
        WHERE c.accepted_at IS NULL AND c.ended_at IS NULL AND c.created_at <= %s
            AND t.product_area_id {area} AND t.language IN ({languages})
            AND t.team IN ({ticket_teams})
        GROUP BY t.language, t.team
        UNION ALL
        SELECT 'statistic', method, language, team, product_area_id, arrivals, handled,
            handle_seconds
        FROM {statistics}
        WHERE method IN ({methods})
            AND (language = '' OR (language IN ({languages}) AND product_area_id {area}))
        UNION ALL
        SELECT 'console', '', '', '', p.agent_id,
            COALESCE((SELECT COUNT(*) FROM {chats} s
                      WHERE s.agent_id = p.agent_id AND s.ended_at IS NULL), 0), 0, CAST(0 AS REAL)
        FROM {presence} p
        WHERE p.available AND p.seen_at >= %s
    """
    return " ".join(statement.split())


def queue_facts(*, area_id: int | None, languages: Collection[str], now: datetime) -> QueueFacts:
    """Everything the contact offers of one area need: both queues' waiting counts (live)
    and arrivals in these languages, the handle times, and the chat console (one query,
    whatever the number of tickets)."""
    ordered = sorted(languages)
    area = [] if area_id is None else [area_id]
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        *area, *ordered, *_QUEUE_TEAM_VALUES, adapt(now),
        adapt(now), *area, *ordered, *_TICKET_TEAM_VALUES,
        *[method.value for method in _METHODS], *ordered, *area,
        adapt(now - chat_presence_timeout()),
    ]  # fmt: skip
    waiting: dict[tuple[Method, str, QueueTeam], int] = {}
    statistics: list[_Statistic] = []
    console: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(_queue_facts_sql(area_id=area_id, language_count=len(ordered)), params)
        rows = cursor.fetchall()
    for part, method, language, team, number, first, second, seconds in rows:
        if part == "waiting":
            queue_team = QueueTeam(team) if method == Method.PHONE else Team(team).queue_team
            waiting[(Method(method), language, queue_team)] = first
        elif part == "statistic":
            statistics.append((method, team, language, number, first, second, float(seconds)))
        else:
            console[number] = first
    arrivals = {
        (Method(method), language, QueueTeam(team)): arrived
        for method, team, language, row_area, arrived, _handled, _seconds in statistics
        if language and row_area == area_id
    }
    return QueueFacts(
        counts={key: (waiting.get(key, 0), arrivals.get(key, 0)) for key in {*waiting, *arrivals}},
        handle_times=_handle_times(statistics),
        chat_console=console,
    )


def callback_facts(
    now: datetime, *, area_id: int | None = None, language: str | None = None
) -> QueueFacts:
    """What a queued callback's wait needs: the phone handle times and, given its queue's
    area and language, that queue's arrivals (one query)."""
    statistics = cast(list[_Statistic], _phone_statistics(connection.vendor).rows())
    arrivals = {
        (Method.PHONE, row_language, QueueTeam(team)): (0, arrived)
        for _method, team, row_language, row_area, arrived, _handled, _seconds in statistics
        if language is not None and row_language == language and row_area == area_id
    }
    return QueueFacts(counts=arrivals, handle_times=_handle_times(statistics))


def chat_facts(now: datetime) -> QueueFacts:
    """What a waiting chat's wait needs: the chat handle times and the chat console."""
    return QueueFacts(
        handle_times=_handle_times(_statistics([Method.CHAT])), chat_console=chat_console(now)
    )


# --- Read by the agents' queue board --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitingQueue:
    """Somebody waits in this queue: how many, and since when the one waiting longest."""

    method: Method
    language: str
    area_id: int | None
    team: QueueTeam
    waiting: int
    oldest: datetime


def waiting_queues(now: datetime) -> list[WaitingQueue]:
    """Every queue somebody waits in (callbacks not taken, chats not accepted), in one query
    over the partial indexes of what waits now."""
    callbacks = (
        CallbackRequest.objects.filter(
            taken_at__isnull=True, team__in=_QUEUE_TEAM_VALUES, enqueued_at__lte=now
        )
        .values("language", "product_area_id", "team")
        .annotate(method=Value(Method.PHONE.value), waiting=Count("pk"), oldest=Min("enqueued_at"))
        .values_list("method", "language", "product_area_id", "team", "waiting", "oldest")
        .order_by()
    )
    chats = (
        ChatSession.objects.filter(
            accepted_at__isnull=True,
            ended_at__isnull=True,
            created_at__lte=now,
            ticket__team__in=_TICKET_TEAM_VALUES,
        )
        .values(
            language=F("ticket__language"),
            area_id=F("ticket__product_area_id"),
            ticket_team=F("ticket__team"),
        )
        .annotate(method=Value(Method.CHAT.value), waiting=Count("pk"), oldest=Min("created_at"))
        .values_list("method", "language", "area_id", "ticket_team", "waiting", "oldest")
        .order_by()
    )
    return [
        WaitingQueue(
            method=Method(method),
            language=language,
            area_id=area_id,
            team=QueueTeam(team) if method == Method.PHONE else Team(team).queue_team,
            waiting=waiting,
            oldest=oldest,
        )
        for method, language, area_id, team, waiting, oldest in callbacks.union(
            chats, all=True
        ).order_by()
    ]


def queue_facts_by_area(
    waiting: Iterable[WaitingQueue], now: datetime
) -> defaultdict[int | None, QueueFacts]:
    """``queue_facts`` for every product area at once (any area id reads), from the queues
    that wait (``waiting_queues``), the statistics and the chat console: two queries."""
    statistics = _statistics(_METHODS)
    handle_times = _handle_times(statistics)
    console = chat_console(now)
    counts: dict[int | None, dict[tuple[Method, str, QueueTeam], tuple[int, int]]] = defaultdict(
        dict
    )
    for method, team, language, area_id, arrived, _handled, _seconds in statistics:
        if language:
            counts[area_id][(Method(method), language, QueueTeam(team))] = (0, arrived)
    for queue in waiting:
        key = (queue.method, queue.language, queue.team)
        _before, arrived = counts[queue.area_id].get(key, (0, 0))
        counts[queue.area_id][key] = (queue.waiting, arrived)
    # An area nobody waits in nor arrived at still has the handle times and the console.
    facts: defaultdict[int | None, QueueFacts] = defaultdict(
        lambda: QueueFacts(handle_times=handle_times, chat_console=console)
    )
    for area_id, area_counts in counts.items():
        facts[area_id] = QueueFacts(
            counts=area_counts, handle_times=handle_times, chat_console=console
        )
    return facts
