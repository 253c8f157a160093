"""Reads about tickets, shaped for the pages, emails and the admin."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models
from django.db.models import Avg, Count, F, Min, Q, QuerySet, Subquery, Window
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import RowNumber, TruncDate, TruncWeek
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import EnterpriseSeat, Membership, Organisation, User
from hub.accounts.selectors import People, member_row, organisation_people, people_named
from hub.accounts.user_copies import MEMBER_LIST_VERSION
from hub.compiled_rows import (
    Argument,
    CompiledModelQuery,
    CompiledRows,
)
from hub.versions import current_tokens
from routing import configuration
from routing.languages import language_label, language_name
from routing.models import SupportTeam
from routing.selectors import (
    QueueFacts,
    callback_wait_estimate,
    product_area_names,
    service_hours,
)
from routing.waits import Wait, wait_change_reasons, wait_changed
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    CallbackRequest,
    Channel,
    ChatSession,
    ChatTranscriptRequest,
    ConferenceBooking,
    EventKind,
    ServiceLevelTarget,
    Team,
    Ticket,
    TicketEvent,
    WaitQuote,
)
from tickets.queues import callback_facts
from tickets.search import (
    SearchShape,
    SearchTerms,
    ticket_search_condition,
    written_text,
)
from tickets.service_levels import (
    DUE_SOON,
    DueTimes,
    TargetTerms,
    queue_hours,
    ticket_due_times,
)

# Values no row has, each unlike every other parameter: where the statements compiled once
# per process take a run's arguments (``CompiledRows``).
_ORGANISATION, _REQUESTER, _TICKET, _CALLBACK, _AREA = (
    -7_000_001,
    -7_000_002,
    -7_000_003,
    -7_000_004,
    -7_000_005,
)
_NUMBER, _LANGUAGE, _TEAM = "<ticket number>", "<language>", "<team>"
_ASKED_BY = -7_000_006
_KEY, _CHANNEL, _STATUS = "<idempotency key>", "<channel>", "<status>"
_WHEN = datetime(1901, 2, 3, 4, 5, 6, 789_012, tzinfo=UTC)
_FROM = datetime(1902, 3, 4, 5, 6, 7, 890_123, tzinfo=UTC)
_BEFORE = datetime(1903, 4, 5, 6, 7, 8, 901_234, tzinfo=UTC)
# A search's number is a parameter; its words are written into the statement's text.
_NUMBER, _WORDS = "<ticket number>", "<search words>"


@dataclass(frozen=True)
class QueueStatus:
    """Where a callback stands: its place, the expected wait, or when it will join the queue."""

    position: int | None
    waiting_since: datetime | None
    wait: Wait | None
    joins_queue_at: datetime | None
    # The wait the form showed, when the figure now reads differently, and why it changed.
    quoted: Wait | None = None
    changed_because: tuple[str, ...] = ()


def callback_position(callback: CallbackRequest) -> int:
    """1 for the next callback of its queue."""
    area_id = callback.product_area_id
    arguments: dict[str, int | str] = {
        "callback": callback.pk,
        "language": callback.language,
        "team": callback.team,
    }
    if area_id is not None:
        arguments["area"] = area_id
    return _callbacks_ahead(connection.vendor, area_id is not None).count(**arguments) + 1


@functools.cache
def _callbacks_ahead(vendor: str, in_area: bool) -> CompiledRows:
    """The waiting callbacks of a callback's queue that came before it, counted, compiled
    once per process (a queue of any area, or of none): building the count took twice what
    the database spends on it, and the ticket page's queue place is polled. The callback's
    own time in the queue is read in the statement, so its arguments are all plain values."""
    since = Subquery(CallbackRequest.objects.filter(pk=_CALLBACK).values("enqueued_at")[:1])
    ahead = CallbackRequest.objects.filter(
        language=_LANGUAGE, team=_TEAM, taken_at__isnull=True
    ).filter(Q(enqueued_at__lt=since) | Q(enqueued_at=since, pk__lt=_CALLBACK))
    placeholders: dict[str, int | str] = {
        "callback": _CALLBACK,
        "language": _LANGUAGE,
        "team": _TEAM,
    }
    if in_area:
        ahead = ahead.filter(product_area_id=_AREA)
        placeholders["area"] = _AREA
    else:
        ahead = ahead.filter(product_area_id__isnull=True)
    return CompiledRows(ahead.values("pk"), placeholders, counted=True)


def _wait_quote_of(ticket_id: int) -> WaitQuote | None:
    """The wait the ticket's form showed, if it showed one."""
    found = _wait_quote_query(connection.vendor).objects(ticket=ticket_id)
    return found[0] if found else None


@functools.cache
def _wait_quote_query(vendor: str) -> CompiledModelQuery[WaitQuote]:
    return CompiledModelQuery(WaitQuote.objects.filter(ticket_id=_TICKET)[:1], {"ticket": _TICKET})


def _callback_of(ticket: Ticket) -> CallbackRequest | None:
    """The ticket's callback as read with it (``ticket_for_viewer``), else as it is now."""
    if not Ticket.callback.related.is_cached(ticket):
        return CallbackRequest.objects.filter(ticket=ticket).first()
    try:
        return ticket.callback
    except CallbackRequest.DoesNotExist:
        return None


def queue_status(ticket: Ticket, *, now: datetime | None = None) -> QueueStatus | None:
    """None for tickets that are not waiting for a callback."""
    if ticket.channel != Channel.PHONE or not ticket.is_open:
        return None
    now = now or timezone.now()
    callback = _callback_of(ticket)
    if callback is None:
        return _joining_status(ticket, now)
    if not callback.is_waiting:
        return None
    return _waiting_status(
        callback,
        position=callback_position(callback),
        quote_of=_wait_quote_of,
        queues=callback_facts(now, area_id=callback.product_area_id, language=callback.language),
        now=now,
    )


def queue_statuses(
    tickets: Iterable[Ticket], *, now: datetime | None = None
) -> dict[int, QueueStatus | None]:
    """``queue_status`` of each of these tickets by id, read together (a run of confirmations
    writes a hundred): their places in the queues take one query, their quoted waits one and
    each queue's facts one, rather than three queries per ticket. Their callbacks are those
    prefetched with them (``Ticket.callback``), else one query each."""
    now = now or timezone.now()
    statuses: dict[int, QueueStatus | None] = {}
    waiting: list[tuple[Ticket, CallbackRequest]] = []
    for ticket in tickets:
        phone_open = ticket.channel == Channel.PHONE and ticket.is_open
        callback = _callback_of(ticket) if phone_open else None
        if callback is not None and callback.is_waiting:
            waiting.append((ticket, callback))
        elif phone_open and callback is None:
            statuses[ticket.pk] = _joining_status(ticket, now)
        else:
            statuses[ticket.pk] = None
    if not waiting:
        return statuses
    positions = _callback_positions([callback for _ticket, callback in waiting])
    quotes = {
        quote.ticket_id: quote
        for quote in WaitQuote.objects.filter(ticket_id__in=[ticket.pk for ticket, _ in waiting])
    }
    facts: dict[tuple[int | None, str], QueueFacts] = {}
    for ticket, callback in waiting:
        queue = (callback.product_area_id, callback.language)
        if queue not in facts:
            facts[queue] = callback_facts(now, area_id=queue[0], language=queue[1])
        statuses[ticket.pk] = _waiting_status(
            callback,
            position=positions[callback.pk],
            quote_of=quotes.get,
            queues=facts[queue],
            now=now,
        )
    return statuses


def _callback_positions(callbacks: list[CallbackRequest]) -> dict[int, int]:
    """``callback_position`` of each of these waiting callbacks, by id, in one statement:
    every callback waiting in their languages and teams is numbered within its queue."""
    ranked = (
        CallbackRequest.objects.filter(
            taken_at__isnull=True,
            language__in=sorted({callback.language for callback in callbacks}),
            team__in=sorted({callback.team for callback in callbacks}),
        )
        .order_by()
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("language"), F("team"), F("product_area_id")],
                order_by=[F("enqueued_at").asc(), F("pk").asc()],
            )
        )
        .values_list("pk", "position")
    )
    inner, parameters = ranked.query.sql_with_params()
    ids = [callback.pk for callback in callbacks]
    # Numbered first, then picked: a filter on the ids inside would number only those.
    statement = (
        f'SELECT ranked."pk", ranked."position" FROM ({inner}) AS ranked '  # noqa: S608 - Django's SQL, placeholders
        f'WHERE ranked."pk" IN ({", ".join(["%s"] * len(ids))})'
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*parameters, *ids])
        return {int(pk): int(position) for pk, position in cursor.fetchall()}


def _joining_status(ticket: Ticket, now: datetime) -> QueueStatus:
    """A phone ticket not yet in its queue: when it joins, if that is still to come."""
    due = (
        ticket.callback_due_at if ticket.callback_due_at and ticket.callback_due_at > now else None
    )
    return QueueStatus(None, None, None, due)


def _waiting_status(
    callback: CallbackRequest,
    *,
    position: int,
    quote_of: Callable[[int], WaitQuote | None],
    queues: QueueFacts,
    now: datetime,
) -> QueueStatus:
    """A waiting callback's place, expected wait and, when the wait has moved since the form
    quoted it, the quote and why it moved."""
    estimate = callback_wait_estimate(
        language=callback.language,
        area_id=callback.product_area_id,
        team=callback.team,
        position=position,
        now=now,
        queues=queues,
    )
    wait = Wait.of(estimate)
    # The quote only matters beside a figure: none while nobody is on shift.
    quote = quote_of(callback.ticket_id) if wait is not None else None
    quoted = quote.as_wait() if quote is not None else None
    changed_because: tuple[str, ...] = ()
    if (
        quote is not None
        and quoted is not None
        and wait is not None
        and estimate is not None
        and estimate.inputs is not None
        and wait_changed(quoted, wait)
    ):
        changed_because = (
            tuple(wait_change_reasons(quote.inputs, estimate.inputs))
            if quote.language == callback.language
            # Another queue altogether: its figures do not compare with the first one's.
            else (str(_("You changed the language of the call.")),)
        )
    return QueueStatus(
        position=position,
        waiting_since=callback.enqueued_at,
        wait=wait,
        joins_queue_at=None,
        quoted=quoted if changed_because else None,
        changed_because=changed_because,
    )


def callback_changeable(ticket: Ticket) -> bool:
    """A phone request whose callback still waits (queued or scheduled): its customer may
    still change the number and the language. False once an agent has taken it."""
    if ticket.channel != Channel.PHONE or not ticket.is_open:
        return False
    return not CallbackRequest.objects.filter(ticket=ticket, taken_at__isnull=False).exists()


@dataclass(frozen=True)
class QueueLine:
    language: str
    area: str  # in the reader's language
    team: str
    waiting: int
    oldest: datetime

    @property
    def language_label(self) -> str:
        return language_label(self.language)

    @property
    def team_label(self) -> str:
        return str(_QUEUE_TEAM_LABELS.get(self.team, self.team))


# A callback queue's team, by routing's name for it (technical support is "general").
_QUEUE_TEAM_LABELS = {**dict(Team.choices), **dict(SupportTeam.choices)}


@functools.cache
def _waiting_callbacks_query(vendor: str) -> CompiledRows:
    """The queue summary's query as the ORM writes it, compiled once per process: building
    it took 0.4 ms of the 0.9 ms its reading cost, where the database spends 0.1 ms."""
    return CompiledRows(
        CallbackRequest.objects.filter(taken_at__isnull=True)
        .values_list("language", "product_area_id", "team")
        .annotate(waiting=Count("pk"), oldest=Min("enqueued_at"))
        .order_by("oldest"),
        {},
    )


def callback_queue_summary() -> list[QueueLine]:
    """Waiting callbacks per queue, oldest queue first, for the agents' changelist (one
    query, whatever the number of tickets: it reads the index of waiting callbacks)."""
    names = product_area_names()
    rows = _waiting_callbacks_query(connection.vendor).rows()
    return [
        QueueLine(
            language=language,
            area=names.get(area_id, ""),
            team=team,
            waiting=waiting,
            oldest=oldest,
        )
        for language, area_id, team, waiting, oldest in rows
    ]


def callback_screen_context(ticket: Ticket) -> dict[str, object]:
    """Everything an agent needs at once when they take a callback (R-ADMIN)."""
    ticket = (
        Ticket.objects.select_related("requester", "organisation", "product_area", "assigned_to")
        .prefetch_related("events__actor")
        .get(pk=ticket.pk)
    )
    seat = EnterpriseSeat.objects.filter(user_id=ticket.requester_id).first()
    return {
        "ticket": ticket,
        "organisation": ticket.organisation,
        "seat": seat,
        "events": list(ticket.events.all()),
        "conversation": assistant_conversation(ticket.events.all()),
    }


def assistant_conversation(events: Iterable[TicketEvent]) -> list[dict[str, str]]:
    """The assistant conversation the customer had before asking for help, if any, from the
    ticket's already loaded events (its "created" event carries it)."""
    created = next((event for event in events if event.kind == "created"), None)
    data = created.data if created is not None and isinstance(created.data, dict) else {}
    turns = data.get("assistant_conversation")
    return [turn for turn in turns if isinstance(turn, dict)] if isinstance(turns, list) else []


def conference_booked_starts(*, start: datetime, end: datetime) -> list[datetime]:
    """Starts of the conference calls already booked in [start, end)."""
    return list(
        ConferenceBooking.objects.filter(starts_at__gte=start, starts_at__lt=end).values_list(
            "starts_at", flat=True
        )
    )


def ticket_replayed(requester: User, idempotency_key: str | None) -> Ticket | None:
    """The ticket an earlier submission with this idempotency key made, if there is one."""
    if not idempotency_key:
        return None
    found = _replayed_query(connection.vendor).objects(requester=requester.pk, key=idempotency_key)
    return found[0] if found else None


@functools.cache
def _replayed_query(vendor: str) -> CompiledModelQuery[Ticket]:
    """``ticket_replayed``'s query, compiled once per process: every submission asks it, and
    the ORM need not build it each time."""
    return CompiledModelQuery(
        Ticket.objects.filter(requester_id=_REQUESTER, idempotency_key=_KEY).order_by("pk")[:1],
        {"requester": _REQUESTER, "key": _KEY},
    )


def ticket_of_requester(user: User, number: str) -> Ticket:
    """The ticket, if this user asked for it; 404 for anyone else, staff included."""
    return get_object_or_404(
        Ticket.objects.select_related("product_area", "conference").prefetch_related(
            "product_area__translations"
        ),
        number=number,
        requester_id=user.pk,
    )


def ticket_created_data(ticket: Ticket) -> Mapping[str, object]:
    """What the form recorded on the ticket's first event (e.g. when it will be answered)."""
    event = ticket.events.filter(kind=EventKind.CREATED).only("data").first()
    return event.data if event is not None and isinstance(event.data, dict) else {}


# --- Ticket history (R-HISTORY): who sees which ticket, the list, the export, the page ------

HISTORY_PAGE_SIZE = 25
# Counting stops here: "more than 500 requests" costs a bounded scan, never a full count
# (a filter that keeps 5 % of the rows reads about 10,000 of them to find 501).
HISTORY_COUNT_CAP = 500
# A search counts less far: its words are checked row by row in the list's order, so its
# count reads every row it passes, matching or not. Where two common words matched one
# ticket in fourteen (100,000 tickets), counting to 500 walked 7,314 rows in 8.6 ms; counting
# to 100 walked 3,393 in 5.0 ms, 3.9 ms of it on newer tickets that matched nothing. Past a
# hundred matches, narrowing the search helps more than an exact count would.
HISTORY_SEARCH_COUNT_CAP = 100
EXPORT_CHUNK = 2000


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """The one rule of who sees which ticket in the hub (list, page, export, fragments).

    A member sees the tickets they asked for; a brand administrator sees every ticket of
    their organisation. A ticket passed on by a TSM shows once the customer has verified it
    (R-VERIFY). Staff and strangers see none here: agents work in the admin.
    """
    membership = history_membership(user)
    if membership is None:
        return Ticket.objects.none()
    return _tickets_visible(
        organisation_id=membership.organisation_id,
        requester_id=None if membership.is_brand_admin else user.pk,
    )


def _tickets_visible(*, organisation_id: int, requester_id: int | None) -> QuerySet[Ticket]:
    """The organisation's tickets, or only the requester's, as ``tickets_visible_to`` says."""
    visible = Ticket.objects.filter(organisation_id=organisation_id)
    if requester_id is not None:
        visible = visible.filter(requester_id=requester_id)
    return visible.exclude(verification_required=True, verified_at__isnull=True)


def sees_organisation_tickets(user: User) -> bool:
    membership = history_membership(user)
    return membership is not None and membership.is_brand_admin


def history_membership(user: User) -> Membership | None:
    """The user's membership with its organisation, read once per request (kept where
    Django keeps ``user.membership``)."""
    if not user.is_authenticated or not user.is_active:
        return None
    accessor = User.membership.related
    if not accessor.is_cached(user):
        member = member_row(user.pk)
        accessor.set_cached_value(user, member.membership if member else None)
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


class HistorySort(models.TextChoices):
    NEWEST = "newest", _("Newest first")
    OLDEST = "oldest", _("Oldest first")
    UPDATED = "updated", _("Recently updated")
    UPDATED_OLDEST = "updated_oldest", _("Least recently updated")

    @property
    def key(self) -> str:
        return (
            "updated_at"
            if self in (HistorySort.UPDATED, HistorySort.UPDATED_OLDEST)
            else ("created_at")
        )

    @property
    def descending(self) -> bool:
        return self in (HistorySort.NEWEST, HistorySort.UPDATED)


@dataclass(frozen=True)
class HistoryFilters:
    """What the history list is narrowed to. Dates are aware datetimes, in any zone."""

    status: str = ""  # a Status value, "open", or "" for all
    area_id: int | None = None
    channel: str = ""
    requester_id: int | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    text: str = ""
    sort: HistorySort = HistorySort.NEWEST


@dataclass(frozen=True)
class Cursor:
    """A place in the list: the sort value and id of a row, and which side to read."""

    value: datetime
    pk: int
    before: bool = False

    def encode(self) -> str:
        micros = (self.value - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.pk}"

    @classmethod
    def decode(cls, text: str, *, before: bool = False) -> Cursor | None:
        """None for anything that is not a cursor we made (a bad link shows the first page)."""
        micros, dot, pk = text.partition(".")
        if not dot or not micros.lstrip("-").isdigit() or not pk.isdigit():
            return None
        try:
            value = _EPOCH + timedelta(microseconds=int(micros))
        except OverflowError:
            return None
        return cls(value=value, pk=int(pk), before=before)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class HistoryPage:
    tickets: list[HistoryRow]
    count: int  # capped at count_cap + 1
    count_cap: int
    next_cursor: Cursor | None
    previous_cursor: Cursor | None

    @property
    def count_is_capped(self) -> bool:
        return self.count > self.count_cap


def filtered_history(user: User, filters: HistoryFilters, *, language: str) -> QuerySet[Ticket]:
    """The visible tickets narrowed by the filters; the list and the export both read this."""
    tickets = _narrowed(tickets_visible_to(user), filters)
    if filters.text.strip():
        tickets = tickets.filter(ticket_search_condition(filters.text, language=language))
    return tickets


def _narrowed(tickets: QuerySet[Ticket], filters: HistoryFilters) -> QuerySet[Ticket]:
    """The tickets narrowed by every filter but the search text."""
    if filters.status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.area_id is not None:
        tickets = tickets.filter(product_area_id=filters.area_id)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.requester_id is not None:
        tickets = tickets.filter(requester_id=filters.requester_id)
    if filters.created_from is not None:
        tickets = tickets.filter(created_at__gte=filters.created_from)
    if filters.created_before is not None:
        tickets = tickets.filter(created_at__lt=filters.created_before)
    return tickets


@dataclass(frozen=True, slots=True)
class _Narrowing:
    """Which filters other than the search text a list has: the shape of its statements,
    whatever the values. A status is "open" (four statuses), "one" or ""."""

    status: str
    area: bool
    channel: bool
    requester: bool
    created_from: bool
    created_before: bool

    @classmethod
    def of(cls, filters: HistoryFilters) -> _Narrowing:
        return cls(
            status="open" if filters.status == "open" else ("one" if filters.status else ""),
            area=filters.area_id is not None,
            channel=bool(filters.channel),
            requester=filters.requester_id is not None,
            created_from=filters.created_from is not None,
            created_before=filters.created_before is not None,
        )

    def placeholders(self) -> tuple[HistoryFilters, dict[str, Argument]]:
        """Filters of this shape made of placeholders, for a compiled statement, and those
        (``_narrowing_arguments`` gives a run's values)."""
        filters = HistoryFilters(
            status=_STATUS if self.status == "one" else self.status,
            area_id=_AREA if self.area else None,
            channel=_CHANNEL if self.channel else "",
            requester_id=_ASKED_BY if self.requester else None,
            created_from=_FROM if self.created_from else None,
            created_before=_BEFORE if self.created_before else None,
        )
        return filters, _narrowing_arguments(filters)


def _narrowing_arguments(filters: HistoryFilters) -> dict[str, Argument]:
    """The values of the filters other than the search text, as a compiled list takes them."""
    values: dict[str, Argument | None] = {
        "status": filters.status if filters.status != "open" else None,
        "area": filters.area_id,
        "channel": filters.channel,
        "asked_by": filters.requester_id,
        "from": filters.created_from,
        "before": filters.created_before,
    }
    return {name: value for name, value in values.items() if value is not None and value != ""}


class HistoryRow(NamedTuple):
    """One line of the history: what the list shows of a ticket, read as plain values (26
    tickets built as model instances, with their requesters, cost more than the query)."""

    pk: int
    number: str
    subject: str
    product_area_id: int | None
    channel: str
    status: str
    created_at: datetime
    updated_at: datetime
    requester_id: int
    # As User.get_full_name words it, else the address; "" on a member's own list.
    requester_name: str


HISTORY_ROW_FIELDS = (
    "pk",
    "number",
    "subject",
    "product_area_id",
    "channel",
    "status",
    "created_at",
    "updated_at",
    "requester_id",
)


def _requester_names(user: User, requester_ids: set[int]) -> dict[int, str]:
    """The requesters' names for a brand administrator's list, from the organisation's
    members as ``organisation_people`` keeps them; a former member is read by id."""
    membership = history_membership(user)
    if membership is None or not membership.is_brand_admin:
        return {}
    names = {
        pk: name
        for pk, name in organisation_people(membership.organisation_id)
        if pk in requester_ids
    }
    missing = requester_ids - names.keys()
    if missing:
        names.update(people_named(missing))
    return names


def ticket_history_page(
    user: User,
    filters: HistoryFilters,
    *,
    language: str,
    cursor: Cursor | None = None,
    page_size: int = HISTORY_PAGE_SIZE,
) -> HistoryPage:
    """One page of the history by keyset: two queries however deep the page (rows, count),
    and one when the first page holds every row or is a search's."""
    key, descending = filters.sort.key, filters.sort.descending
    # Reading "before" a cursor walks the list backwards, then turns the rows round.
    backwards = cursor is not None and cursor.before
    walk_descending = descending != backwards
    membership = history_membership(user)
    searched = bool(filters.text.strip())
    # A search's first page is read by its counting walk, which must not stop short of it.
    cap = max(HISTORY_SEARCH_COUNT_CAP, page_size) if searched else HISTORY_COUNT_CAP
    count: int | None = None
    if membership is not None and (not searched or connection.vendor == "postgresql"):
        # The list's statements are compiled once per shape of filters and search.
        terms = SearchTerms.of(filters.text) if searched else None
        search = terms.shape(language=language) if terms is not None else None
        if terms is not None and terms.number is None and terms.expression is None:
            # A search of no words that is no number can match nothing: there is no statement.
            return HistoryPage([], 0, cap, None, None)
        narrowing = _Narrowing.of(filters)
        arguments = _visible_arguments(user, membership) | _narrowing_arguments(filters)
        texts: dict[str, str] = {}
        if terms is not None and terms.number is not None:
            arguments["number"] = terms.number
        if terms is not None and terms.expression is not None:
            texts["words"] = written_text(terms.expression)
        shape = (connection.vendor, membership.is_brand_admin, narrowing)

        def counted() -> int:
            if search is None:
                statement = _history_count(*shape, cap=cap)
            else:
                # A search is counted in the list's own order: the planner can then walk the
                # list's index, matching words row by row, and stop at the cap. Unordered, it
                # took every ticket holding the words from the text index first (10,000 for
                # two common words).
                statement = _search_counted(
                    *shape, search, key=key, walk_descending=walk_descending, cap=cap
                )
            return statement.count(texts, **arguments)

        if cursor is None and search is not None:
            # A search's first page is the start of that walk: one statement reads it beside
            # the count, rather than walking its rows twice.
            statement = _search_counted(
                *shape,
                search,
                key=key,
                walk_descending=walk_descending,
                cap=cap,
                first_rows=page_size + 1,
            )
            rows, count = statement.rows_and_count(texts, **arguments)
        else:
            cursor_arguments: dict[str, Argument] = (
                {"when": cursor.value, "ticket": cursor.pk} if cursor is not None else {}
            )
            statement = _history_page(
                *shape,
                search,
                key=key,
                walk_descending=walk_descending,
                from_cursor=cursor is not None,
                page_size=page_size,
            )
            rows = statement.rows(texts, **arguments, **cursor_arguments)
        values = [tuple(row) for row in rows]
    else:
        # Without a membership there is nothing to see; SQLite's search matches substrings,
        # a statement of its own per number of words.
        tickets = filtered_history(user, filters, language=language)
        in_order = _history_page_of(tickets, key=key, walk_descending=walk_descending, cursor=None)

        def counted() -> int:
            return in_order.values("pk")[: cap + 1].count()

        values = list(
            _history_page_of(
                tickets,
                key=key,
                walk_descending=walk_descending,
                cursor=(cursor.value, cursor.pk) if cursor is not None else None,
            ).values_list(*HISTORY_ROW_FIELDS)[: page_size + 1]
        )
    more = len(values) > page_size
    if count is None:
        # A first page that holds every row has counted them.
        count = len(values) if cursor is None and not more else counted()
    values = values[:page_size]
    if backwards:
        values.reverse()
    if not values:
        return HistoryPage([], count, cap, None, None)
    names = _requester_names(user, {value[-1] for value in values})
    found = [HistoryRow._make((*value, names.get(value[-1], ""))) for value in values]

    def cursor_at(row: HistoryRow, *, before: bool) -> Cursor:
        return Cursor(value=getattr(row, key), pk=row.pk, before=before)

    has_next = more if not backwards else True
    has_previous = (more if backwards else True) if cursor is not None else False
    return HistoryPage(
        tickets=found,
        count=count,
        count_cap=cap,
        next_cursor=cursor_at(found[-1], before=False) if has_next else None,
        previous_cursor=cursor_at(found[0], before=True) if has_previous else None,
    )


def _history_page_of(
    tickets: QuerySet[Ticket],
    *,
    key: str,
    walk_descending: bool,
    cursor: tuple[datetime, int] | None,
) -> QuerySet[Ticket]:
    """The tickets in the list's order from the cursor on (the sort value and id of a row)."""
    rows = tickets.order_by(*([f"-{key}", "-pk"] if walk_descending else [key, "pk"]))
    if cursor is None:
        return rows
    lookup = TupleLessThan if walk_descending else TupleGreaterThan
    return rows.filter(lookup(Tuple(F(key), F("pk")), cursor))


@functools.cache
def _history_count(
    vendor: str, organisation_wide: bool, narrowing: _Narrowing, *, cap: int
) -> CompiledRows:
    """A list's capped count, compiled once per process, kind of reader and shape of
    filters."""
    visible, placeholders = _narrowed_compiled(organisation_wide, narrowing)
    return CompiledRows(visible.order_by()[: cap + 1].values("pk"), placeholders, counted=True)


@functools.cache
def _history_page(
    vendor: str,
    organisation_wide: bool,
    narrowing: _Narrowing,
    search: SearchShape | None,
    *,
    key: str,
    walk_descending: bool,
    from_cursor: bool,
    page_size: int,
) -> CompiledRows:
    """A page of a list, compiled once per process, kind of reader, shape of filters and
    search, order and side: building it and the count took a quarter to a third of the
    whole list's reading, and a third of a filtered one's."""
    visible, placeholders, texts = _searched_compiled(organisation_wide, narrowing, search)
    if from_cursor:
        placeholders |= {"when": _WHEN, "ticket": _TICKET}
    rows = _history_page_of(
        visible,
        key=key,
        walk_descending=walk_descending,
        cursor=(_WHEN, _TICKET) if from_cursor else None,
    )
    return CompiledRows(
        rows.values_list(*HISTORY_ROW_FIELDS)[: page_size + 1], placeholders, texts=texts
    )


@functools.cache
def _search_counted(
    vendor: str,
    organisation_wide: bool,
    narrowing: _Narrowing,
    search: SearchShape,
    *,
    key: str,
    walk_descending: bool,
    cap: int,
    first_rows: int | None = None,
) -> CompiledRows:
    """A search's capped count in the list's order, with its first rows when ``first_rows``,
    compiled once per process, kind of reader, shape of filters and search, and order."""
    visible, placeholders, texts = _searched_compiled(organisation_wide, narrowing, search)
    in_order = _history_page_of(visible, key=key, walk_descending=walk_descending, cursor=None)
    if first_rows is None:
        capped_pks = in_order.values("pk")[: cap + 1]
        return CompiledRows(capped_pks, placeholders, counted=True, texts=texts)
    capped = in_order.values_list(*HISTORY_ROW_FIELDS)[: cap + 1]
    return CompiledRows(capped, placeholders, first_counted=first_rows, texts=texts)


def _visible_compiled(organisation_wide: bool) -> tuple[QuerySet[Ticket], dict[str, Argument]]:
    """``tickets_visible_to`` for a brand administrator or a member, built with placeholders
    for a compiled statement (``_visible_arguments`` gives a run's values), and those."""
    if organisation_wide:
        placeholders: dict[str, Argument] = {"organisation": _ORGANISATION}
    else:
        placeholders = {"organisation": _ORGANISATION, "requester": _REQUESTER}
    visible = _tickets_visible(
        organisation_id=_ORGANISATION, requester_id=None if organisation_wide else _REQUESTER
    )
    return visible, placeholders


def _narrowed_compiled(
    organisation_wide: bool, narrowing: _Narrowing
) -> tuple[QuerySet[Ticket], dict[str, Argument]]:
    """``_visible_compiled`` narrowed by filters of this shape, and all the placeholders."""
    visible, placeholders = _visible_compiled(organisation_wide)
    filters, narrowing_placeholders = narrowing.placeholders()
    return _narrowed(visible, filters), placeholders | narrowing_placeholders


def _searched_compiled(
    organisation_wide: bool, narrowing: _Narrowing, search: SearchShape | None
) -> tuple[QuerySet[Ticket], dict[str, Argument], dict[str, str]]:
    """``_narrowed_compiled`` matched by a search of this shape, its placeholders, and the
    text a run's words take the place of (``SearchTerms`` gives a run's)."""
    visible, placeholders = _narrowed_compiled(organisation_wide, narrowing)
    if search is None:
        return visible, placeholders, {}
    visible = visible.filter(search.condition(number=_NUMBER, expression=_WORDS))
    if search.number:
        placeholders |= {"number": _NUMBER}
    return visible, placeholders, {"words": written_text(_WORDS)} if search.words else {}


def _visible_arguments(user: User, membership: Membership) -> dict[str, Argument]:
    if membership.is_brand_admin:
        return {"organisation": membership.organisation_id}
    return {"organisation": membership.organisation_id, "requester": user.pk}


@dataclass(frozen=True, slots=True)
class HistoryArea:
    """A product area as the history's filter and rows name it, in the reader's language."""

    pk: int
    slug: str
    name: str


def history_areas(language: str) -> list[HistoryArea]:
    """Every product area, named in ``language`` as ``ProductArea.localized_name`` names it,
    from routing's configuration (no query; the names are built once per language)."""
    current = configuration.current_configuration()
    with translation.override(language):
        names = current.area_names()
    return [HistoryArea(area.pk, area.slug, names[area.pk]) for area in current.every_area]


def history_filters_key(
    user: User, language: str, parameters: Iterable[tuple[str, str]] = ()
) -> str:
    """Everything the history's filter form shows, as the key of its drawn fragment: the
    language, the areas (routing's configuration), for a brand administrator the
    organisation's members, and the values filled in (a valid form's parameters, as the
    URL gives them). Two requests with the same key draw the same form."""
    areas, members = current_tokens(configuration.VERSION, MEMBER_LIST_VERSION)
    values = urlencode(sorted(parameters))
    membership = history_membership(user)
    if membership is None or not membership.is_brand_admin:
        return f"{language}:{areas}:{values}"
    return f"{language}:{areas}:{membership.organisation_id}:{members}:{values}"


def changelist_filters_key(language: str, parameters: Iterable[tuple[str, str]]) -> str:
    """Everything the agents' filter sidebar shows without counts, as the key of its drawn
    fragment: the language, the areas (routing's configuration) and the list's parameters,
    which every filter link carries on. Two requests with the same key draw the same
    sidebar."""
    (areas,) = current_tokens(configuration.VERSION)
    return f"{language}:{areas}:{urlencode(sorted(parameters))}"


def history_requesters(user: User) -> People:
    """The people a brand administrator may narrow the list to: their organisation's members,
    as (id, name or email), as ``organisation_people`` keeps them built."""
    membership = history_membership(user)
    if membership is None or not membership.is_brand_admin:
        return ()
    return organisation_people(membership.organisation_id)


def history_export_rows(
    user: User, filters: HistoryFilters, *, language: str
) -> Iterator[tuple[Any, ...]]:
    """Every filtered row, streamed from a server-side cursor in chunks (for the CSV)."""
    key, descending = filters.sort.key, filters.sort.descending
    order = [f"-{key}", "-pk"] if descending else [key, "pk"]
    return (
        filtered_history(user, filters, language=language)
        .order_by(*order)
        .values_list(
            "number",
            "subject",
            "product_area_id",
            "channel",
            "status",
            "team",
            "language",
            "requester__email",
            "created_at",
            "updated_at",
        )
        .iterator(chunk_size=EXPORT_CHUNK)
    )


def ticket_for_viewer(user: User, number: str) -> Ticket:
    """The ticket, if this person may see it (tickets_visible_to); 404 for anyone else. Its
    product area's name comes from the shared configuration (``ticket_area_name``).

    Each join costs more to build than its row costs to read, so only what the page will
    show is joined: the callback (a phone ticket's place in the queue), and the requester
    only for a brand administrator, since a member only ever sees their own tickets. Only a
    conference ticket has a booking (``services.conference_book``), and none becomes one
    later, so the others are known to have none without asking."""
    membership = history_membership(user)
    if membership is None:
        raise Http404
    found = _ticket_page_query(connection.vendor, membership.is_brand_admin).objects(
        **_visible_arguments(user, membership), number=number
    )
    if not found:
        raise Http404
    ticket = found[0]
    if ticket.requester_id == user.pk:
        Ticket.requester.field.set_cached_value(ticket, user)
    if ticket.channel != Channel.CONFERENCE:
        Ticket.conference.related.set_cached_value(ticket, None)
    return ticket


@functools.cache
def _ticket_page_query(vendor: str, organisation_wide: bool) -> CompiledModelQuery[Ticket]:
    """``ticket_for_viewer``'s query, compiled once per process and kind of reader: building
    it took 0.75 ms of the 1.1 ms its reading cost."""
    related = ["callback", "requester"] if organisation_wide else ["callback"]
    visible, placeholders = _visible_compiled(organisation_wide)
    return CompiledModelQuery(
        visible.select_related(*related).filter(number=_NUMBER)[:1],
        placeholders | {"number": _NUMBER},
    )


def ticket_conference(ticket: Ticket) -> ConferenceBooking | None:
    """The ticket's conference call, or None; no query for a ticket that ``ticket_for_viewer``
    read, unless it is a conference call."""
    try:
        return ticket.conference
    except ConferenceBooking.DoesNotExist:
        return None


def ticket_area_name(ticket: Ticket) -> str:
    """The ticket's product area in the reader's language ("" without one), as
    ``ProductArea.localized_name`` names it, with no query when the shared configuration is
    current."""
    if ticket.product_area_id is None:
        return ""
    return product_area_names().get(ticket.product_area_id, "")


def attachment_for_viewer(user: User | AnonymousUser, pk: int) -> Attachment:
    """The attachment, for staff and for whoever may see its ticket (``tickets_visible_to``:
    the requester, their brand administrators); 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404
    attachments = Attachment.objects.all()
    if not user.is_staff:
        attachments = attachments.filter(ticket__in=tickets_visible_to(user))
    return get_object_or_404(attachments, pk=pk)


def ticket_timeline(ticket: Ticket) -> list[TicketEvent]:
    """The ticket's whole timeline, oldest first, with who did each thing."""
    return _timeline_query(connection.vendor).objects(ticket=ticket.pk)


@functools.cache
def _timeline_query(vendor: str) -> CompiledModelQuery[TicketEvent]:
    """``ticket_timeline``'s query, compiled once per process: building it took 0.33 ms of
    the 0.8 ms its reading cost."""
    return CompiledModelQuery(
        TicketEvent.objects.filter(ticket_id=_TICKET)
        .select_related("actor")
        .only(
            "kind",
            "message",
            "data",
            "created_at",
            "actor__first_name",
            "actor__last_name",
            "actor__email",
            "actor__is_staff",
        )
        .order_by("created_at", "pk"),
        {"ticket": _TICKET},
    )


def ticket_files(ticket: Ticket, timeline: Iterable[TicketEvent]) -> list[Attachment]:
    """The ticket's files, oldest first. A file only ever arrives with the timeline's event
    that names it (``services.attachments_add`` writes both in one transaction), so a
    timeline that names none needs no query, and most tickets have no files."""
    if not any(event.data.get("attachments") for event in timeline):
        return []
    return list(
        Attachment.objects.filter(ticket_id=ticket.pk).only(
            "pk", "original_name", "content_type", "size"
        )
    )


def sweep_parked_counts() -> dict[str, int]:
    """Rows parked as failed by the sweeps (tickets.sweeping), for /healthz and operators."""
    return {
        "tickets": Ticket.objects.filter(sweep_parked_at__isnull=False).count(),
        "chats": ChatSession.objects.filter(sweep_parked_at__isnull=False).count(),
        "transcripts": ChatTranscriptRequest.objects.filter(sweep_parked_at__isnull=False).count(),
    }


def rows_estimated(model: type[models.Model]) -> int | None:
    """The planner's estimate of the rows in the model's table (PostgreSQL), kept by
    autovacuum and ANALYZE; None where there is none."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        found = cursor.fetchone()
    return int(found[0]) if found and found[0] >= 0 else None


# --- Service levels ------------------------------------------------------------------------


def service_level_terms_for(*, organisation_id: int, channel: str) -> TargetTerms | None:
    """The targets for a ticket of this organisation's licence on this channel (one query);
    None when operations have set none."""
    found = _service_level_terms_query(connection.vendor).rows(
        organisation=organisation_id, channel=channel
    )
    if not found:
        return None
    [[first_response_minutes, resolution_minutes, business_hours_only]] = found
    return ServiceLevelTarget(
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
        business_hours_only=business_hours_only,
    ).terms


@functools.cache
def _service_level_terms_query(vendor: str) -> CompiledRows:
    """``service_level_terms_for``'s query, compiled once per process: every ticket made
    asks it, and the ORM need not build it each time."""
    return CompiledRows(
        ServiceLevelTarget.objects.filter(
            channel=_CHANNEL,
            licence_tier=Subquery(
                Organisation.objects.filter(pk=_ORGANISATION).values("licence_tier")[:1]
            ),
        )
        .order_by("pk")
        .values_list("first_response_minutes", "resolution_minutes", "business_hours_only")[:1],
        {"organisation": _ORGANISATION, "channel": _CHANNEL},
    )


def ticket_due_times_for(
    *,
    organisation_id: int,
    channel: str,
    team: Team | str,
    language: str,
    created_at: datetime,
) -> DueTimes:
    """The due times a ticket made now gets: no due times without a target; the service
    hours are read only for a business-hours target."""
    terms = service_level_terms_for(organisation_id=organisation_id, channel=channel)
    if terms is None:
        return DueTimes(None, None)
    hours = (
        queue_hours(service_hours(), channel=channel, team=Team(team).queue_team, language=language)
        if terms.business_hours_only
        else []
    )
    return ticket_due_times(created_at=created_at, terms=terms, hours=hours)


@dataclass(frozen=True, slots=True)
class BreachCount:
    """Targets missed in one queue on one day (in the reader's time zone)."""

    day: date
    channel: str
    team: str
    language: str
    product_area: str | None
    first_response: int
    resolution: int

    @property
    def total(self) -> int:
        return self.first_response + self.resolution

    @property
    def queue(self) -> str:
        """The queue in the reader's language: "Phone callback · Technical support · German
        · CX Dashboards"."""
        parts = [
            Channel(self.channel).label,
            Team(self.team).label,
            language_name(self.language),
        ]
        if self.product_area:
            parts.append(self.product_area)
        return " · ".join(str(part) for part in parts)


def breaches_by_queue_and_day(
    *, start: date, end: date, zone: ZoneInfo, now: datetime
) -> list[BreachCount]:
    """Missed targets per queue (channel, team, language, area) and day, for the days
    ``start`` to ``end`` in ``zone``, newest day first.

    A target is missed on the day it fell due: answered or solved after it, or still not at
    ``now``. Two grouped queries (first responses, resolutions), however many tickets.
    """
    since = datetime.combine(start, time(0), tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    kinds = (
        ("first_response_due_at", first_response_missed(now)),
        ("resolution_due_at", resolution_missed(now)),
    )
    names = product_area_names()
    counts: dict[tuple[date, str, str, str, str | None], list[int]] = {}
    for index, (due, missed_condition) in enumerate(kinds):
        missed = (
            Ticket.objects.filter(**{f"{due}__gte": since, f"{due}__lt": min(until, now)})
            .filter(missed_condition)
            .annotate(day=TruncDate(due, tzinfo=zone))
            .values("day", "channel", "team", "language", "product_area_id")
            .annotate(missed=Count("pk"))
            .order_by()
        )
        for row in missed:
            key = (
                row["day"],
                row["channel"],
                row["team"],
                row["language"],
                names.get(row["product_area_id"]) if row["product_area_id"] else None,
            )
            counts.setdefault(key, [0, 0])[index] += row["missed"]
    lines = [
        BreachCount(day, channel, team, language, area, first_response, resolution)
        for (day, channel, team, language, area), (first_response, resolution) in counts.items()
    ]
    lines.sort(key=lambda line: (line.channel, line.team, line.language, line.product_area or ""))
    lines.sort(key=lambda line: line.day, reverse=True)
    return lines


def first_response_missed(now: datetime) -> Q:
    """Tickets whose first response came after its due time, or has not come and is late."""
    return Q(first_responded_at__isnull=True, first_response_due_at__lt=now) | Q(
        first_responded_at__gt=F("first_response_due_at")
    )


def resolution_missed(now: datetime) -> Q:
    """Open tickets past their resolution due time (a reopened one too, whatever its earlier
    solution), and finished ones solved after it (closed unsolved: no resolution to time)."""
    is_open = Q(status__in=OPEN_STATUSES)
    return (is_open & Q(resolution_due_at__lt=now)) | (
        ~is_open & Q(solved_at__gt=F("resolution_due_at"))
    )


@dataclass(frozen=True, slots=True)
class QueueTargets:
    """A queue's open tickets that have missed a service-level target, and those that will
    within ``DUE_SOON`` unless someone acts."""

    missed: int = 0
    due_soon: int = 0


def open_targets_by_queue(
    now: datetime, *, channels: Iterable[str]
) -> dict[tuple[str, str, str, int | None], QueueTargets]:
    """Per queue (channel, ticket team, language, product area id), the open tickets of these
    channels that missed a target or soon will: one grouped query, counting open tickets
    only, whatever the number of finished ones."""
    late = Q(first_responded_at__isnull=True, first_response_due_at__lt=now) | Q(
        resolution_due_at__lt=now
    )
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES, channel__in=list(channels))
        .values("channel", "team", "language", "product_area_id")
        .annotate(
            missed=Count("pk", filter=late),
            due_soon=Count("pk", filter=service_level_due_soon(now)),
        )
        .order_by()
    )
    return {
        (row["channel"], row["team"], row["language"], row["product_area_id"]): QueueTargets(
            missed=row["missed"], due_soon=row["due_soon"]
        )
        for row in rows
        if row["missed"] or row["due_soon"]
    }


def service_level_due_soon(now: datetime) -> Q:
    """Open tickets with a target still to meet within ``DUE_SOON``, none missed yet."""
    soon = now + DUE_SOON
    pending = Q(
        first_responded_at__isnull=True,
        first_response_due_at__gte=now,
        first_response_due_at__lte=soon,
    ) | Q(resolution_due_at__gte=now, resolution_due_at__lte=soon)
    return (
        Q(status__in=OPEN_STATUSES)
        & pending
        & ~first_response_missed(now)
        & ~resolution_missed(now)
    )


# --- Quoted against actual callback waits ---------------------------------------------------

# The page reads a wait in whole minutes: half a minute either side is still inside the range.
_RANGE_ROUNDING_SECONDS = 30.0


@dataclass(frozen=True)
class WaitAccuracy:
    """One queue's week: the callbacks quoted a wait, those taken since, and how the real
    waits of those compare with what they were told (seconds; None while none is taken)."""

    week: date
    language: str
    area: str
    team: str
    quoted: int
    taken: int
    quoted_mean: float | None
    actual_mean: float | None
    inside: int

    @property
    def mean_error(self) -> float | None:
        """Actual minus quoted: positive when people waited longer than they were told."""
        if self.quoted_mean is None or self.actual_mean is None:
            return None
        return self.actual_mean - self.quoted_mean

    @property
    def inside_share(self) -> float | None:
        return self.inside / self.taken if self.taken else None

    @property
    def inside_percent(self) -> float | None:
        share = self.inside_share
        return None if share is None else share * 100

    @property
    def language_label(self) -> str:
        return language_label(self.language)

    @property
    def team_label(self) -> str:
        return str(Team.of_queue(self.team).label)

    @staticmethod
    def _minutes(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / 60

    @property
    def quoted_minutes(self) -> float | None:
        return self._minutes(self.quoted_mean)

    @property
    def actual_minutes(self) -> float | None:
        return self._minutes(self.actual_mean)

    @property
    def error_minutes(self) -> float | None:
        return self._minutes(self.mean_error)


def wait_accuracy(*, since: datetime, until: datetime, zone: tzinfo) -> list[WaitAccuracy]:
    """Quoted against actual waits per queue and week (weeks start on Monday in ``zone``),
    newest week first: one aggregate query, whatever the number of tickets."""
    taken = Q(actual_seconds__isnull=False)
    inside = taken & Q(
        actual_seconds__gte=F("low_seconds") - _RANGE_ROUNDING_SECONDS,
        actual_seconds__lte=F("high_seconds") + _RANGE_ROUNDING_SECONDS,
    )
    names = product_area_names()
    rows = (
        WaitQuote.objects.filter(quoted_at__gte=since, quoted_at__lt=until)
        .annotate(week=TruncWeek("quoted_at", tzinfo=zone))
        .values("week", "language", "product_area_id", "team")
        .annotate(
            quoted=Count("pk"),
            taken=Count("pk", filter=taken),
            quoted_mean=Avg("expected_seconds", filter=taken),
            actual_mean=Avg("actual_seconds", filter=taken),
            inside=Count("pk", filter=inside),
        )
        .order_by("-week", "language", "product_area__name", "team")
    )
    return [
        WaitAccuracy(
            week=row["week"].date(),
            language=row["language"],
            area=names.get(row["product_area_id"], ""),
            team=row["team"],
            quoted=row["quoted"],
            taken=row["taken"],
            quoted_mean=row["quoted_mean"],
            actual_mean=row["actual_mean"],
            inside=row["inside"],
        )
        for row in rows
    ]
