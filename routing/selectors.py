"""Reads for routing: gather the facts from the database and ask the policy.

Views, forms, the chat and the admin call these; the rules themselves are in
``routing.policy`` and never touch the database.

Routing owns the roster and the hours; the queues themselves (callbacks waiting, chats open,
tickets solved) are the tickets app's rows, which routing never reads. The tickets app
measures them (``tickets.queues``) and the caller passes the measurements in as
``QueueFacts``, the way the policy is passed ``now``:

- waiting and arrivals: requests not yet taken, and those that joined in the last
  ``ROUTING_ARRIVAL_WINDOW_MINUTES``, per queue;
- handle time: for callbacks, from the moment an agent took the callback to the ticket's
  solution; for chats, from the ticket's creation to its solution. Samples longer than
  ``HANDLE_TIME_CAP`` are left out (they were parked, not handled). The queue's own mean is
  used with at least ``HANDLE_TIME_MIN_SAMPLES`` samples, else the team's, else
  ``ROUTING_DEFAULT_HANDLE_MINUTES``. The samples arrive summed (``HandleTimes``: count and
  total per queue and per team), so a page never holds the samples themselves;
- chat load: which agents are in the chat console now, and how many chats each holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from hub.accounts.models import Membership, User
from hub.accounts.selectors import member_row
from routing import hours as hours_maths
from routing import policy
from routing.configuration import QUEUE_TEAMS, RosterAgent, current_configuration
from routing.erlang import WaitEstimate, estimate_wait
from routing.hours import Schedule
from routing.languages import support_language_codes
from routing.models import (
    Agent,
    ProductArea,
    SupportTeam,
)
from routing.policy import (
    AccountServicesAccess,
    AreaFacts,
    ContactOffers,
    Environment,
    LicenceTier,
    Method,
    OrganisationFacts,
    QueueKey,
    QueueState,
    RedirectQuestion,
    Role,
    ServiceHours,
    Staffing,
    Team,
    Thresholds,
    UserFacts,
)
from routing.staffing import HalfHour, StaffingQueue, half_hours_covered

HANDLE_TIME_CAP = timedelta(hours=2)
HANDLE_TIME_MIN_SAMPLES = 20
HANDLE_TIME_HISTORY = timedelta(days=30)
HANDLE_TIME_MAX_ROWS = 1000


# --- The queue measurements the caller passes in ---------------------------------------------


@dataclass(frozen=True, slots=True)
class HandleSample:
    """How long one finished request of a queue took to handle."""

    language: str
    area_id: int | None
    team: Team
    duration: timedelta


@dataclass(frozen=True, slots=True)
class HandleTotal:
    """Handle samples summed: how many, and their total length in seconds."""

    samples: int = 0
    seconds: float = 0.0

    def __add__(self, other: HandleTotal) -> HandleTotal:
        return HandleTotal(self.samples + other.samples, self.seconds + other.seconds)

    @property
    def mean_seconds(self) -> float | None:
        """The mean, once there are enough samples to trust it."""
        if self.samples < HANDLE_TIME_MIN_SAMPLES:
            return None
        return self.seconds / self.samples


QueueOfArea = tuple[str, int | None, Team]  # (language, product area id, team)


@dataclass(frozen=True, slots=True)
class HandleTimes:
    """One method's handle samples summed per queue and per team (the queue's own mean is
    used when it has enough samples, else the team's)."""

    by_queue: Mapping[QueueOfArea, HandleTotal] = field(default_factory=dict)
    by_team: Mapping[Team, HandleTotal] = field(default_factory=dict)

    def mean_seconds(self, queue: QueueOfArea) -> float:
        """The queue's mean, or its team's, or ``ROUTING_DEFAULT_HANDLE_MINUTES``."""
        for total in (self.by_queue.get(queue), self.by_team.get(queue[2])):
            if total is not None and (mean := total.mean_seconds) is not None:
                return mean
        return _default_handle_seconds()


def handle_times_of(samples: Iterable[HandleSample]) -> HandleTimes:
    """Sum the samples per queue and per team, leaving out those that are not handle times
    (none, or longer than ``HANDLE_TIME_CAP``)."""
    by_queue: dict[QueueOfArea, HandleTotal] = defaultdict(HandleTotal)
    by_team: dict[Team, HandleTotal] = defaultdict(HandleTotal)
    for sample in samples:
        if timedelta(0) < sample.duration <= HANDLE_TIME_CAP:
            one = HandleTotal(1, sample.duration.total_seconds())
            by_queue[(sample.language, sample.area_id, sample.team)] += one
            by_team[sample.team] += one
    return HandleTimes(by_queue=dict(by_queue), by_team=dict(by_team))


@dataclass(frozen=True, slots=True)
class QueueFacts:
    """The queues as measured now. Each selector reads only the parts it needs; a part left
    empty reads as an empty queue (nobody waiting, no samples, nobody in the console)."""

    # (waiting, arrivals in the window) per (method, language, team), for one product area.
    counts: Mapping[tuple[Method, str, Team], tuple[int, int]] = field(default_factory=dict)
    handle_times: Mapping[Method, HandleTimes] = field(default_factory=dict)
    # The agents in the chat console now (switched on, heartbeat fresh), by user id, with the
    # number of chats each holds.
    chat_console: Mapping[int, int] = field(default_factory=dict)


NO_QUEUES = QueueFacts()


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def routing_thresholds() -> Thresholds:
    """R-FALLBACK and the chat limit, from settings (minutes there, seconds here)."""
    return Thresholds(
        fallback_factor=_setting("ROUTING_FALLBACK_WAIT_FACTOR", 2.0),
        fallback_extra_seconds=_setting("ROUTING_FALLBACK_EXTRA_MINUTES", 5) * 60,
        chat_max_wait_seconds=_setting("ROUTING_CHAT_MAX_WAIT_MINUTES", 10) * 60,
    )


def arrival_window() -> timedelta:
    return timedelta(minutes=_setting("ROUTING_ARRIVAL_WINDOW_MINUTES", 60))


def _default_handle_seconds() -> float:
    return _setting("ROUTING_DEFAULT_HANDLE_MINUTES", policy.DEFAULT_HANDLE_SECONDS / 60) * 60


# --- Who is asking -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """A member as the policy sees them, with the membership (and its organisation) read."""

    membership: Membership
    organisation: OrganisationFacts
    user: UserFacts


def member_facts(user: User) -> MemberFacts:
    """The user's membership, organisation and roles, as policy facts (one query). A
    request reads it once and passes it to every selector below that needs it.

    Raises PermissionDenied for anyone who is not a member of an organisation.
    """
    if not user.is_authenticated:
        raise PermissionDenied
    row = member_row(user.pk)
    if row is None:
        raise PermissionDenied
    membership = row.membership
    organisation = membership.organisation
    roles = {
        role
        for role, held in (
            (Role.BRAND_ADMIN, membership.is_brand_admin),
            (Role.BILLING_CONTACT, membership.is_billing_contact),
            (Role.PRIMARY_CONTACT, membership.is_primary_contact),
        )
        if held
    }
    return MemberFacts(
        membership=membership,
        organisation=OrganisationFacts(
            licence=LicenceTier(organisation.licence_tier),
            environment=Environment(organisation.environment),
            success_packages=organisation.success_packages,
        ),
        user=UserFacts(roles=frozenset(roles), has_seat=row.seat_anywhere),
    )


def product_areas_active() -> tuple[ProductArea, ...]:
    """The areas customers choose from, in order, with their translations (read-only
    objects shared by the process's requests: ``routing.configuration``)."""
    return current_configuration().areas


def product_areas_every() -> tuple[ProductArea, ...]:
    """Every area, retired ones too, in order, with their translations (shared read-only
    objects, as ``product_areas_active``)."""
    return current_configuration().every_area


def product_area_names() -> Mapping[int, str]:
    """Every area's name in the current language, retired ones too, by id (no query when the
    shared configuration is current, and built once per language with it)."""
    return current_configuration().area_names()


def product_area_active(slug: str) -> ProductArea | None:
    """The active area of this address name, with its translations; None if there is none."""
    return current_configuration().area(slug)


def area_facts(area: ProductArea) -> AreaFacts:
    return AreaFacts(
        slug=area.slug,
        redirects_to_discover=area.redirects_to_discover,
        chat_languages=frozenset(area.chat_languages or ()),
        conference_call_eligible=area.conference_call_eligible,
        enterprise_phone=area.enterprise_phone,
    )


@dataclass(frozen=True, slots=True)
class HubAccess:
    """What the hub flow shows this user around the contact methods."""

    shows_assistant: bool
    assistant_on_knowledge_base: bool
    redirect_question: RedirectQuestion | None
    account_services: AccountServicesAccess


def hub_access_for(member: MemberFacts) -> HubAccess:
    """R-BOT-OFF, R-REDIRECT and R-ACCT for a member."""
    organisation, facts = member.organisation, member.user
    return HubAccess(
        shows_assistant=policy.shows_assistant(organisation, facts),
        assistant_on_knowledge_base=policy.assistant_on_knowledge_base(organisation),
        redirect_question=policy.redirect_question(organisation, facts),
        account_services=policy.account_services_access(organisation, facts),
    )


def knowledge_base_assistant_for(user: User | AnonymousUser) -> bool:
    """Whether the assistant shows on knowledge-base pages: never for FedRAMP users."""
    if not user.is_authenticated:
        return True
    member = member_row(user.pk)
    return member is None or member.membership.organisation.environment != Environment.FEDRAMP


# --- Hours and staffing --------------------------------------------------------------------


def service_hours() -> ServiceHours:
    """Every channel's and language's hours, as plain policy data (``routing.configuration``)."""
    return current_configuration().hours


def _agents_covering(area_id: int | None) -> list[RosterAgent]:
    """Active agents of the queue teams who cover the area (no areas listed: every area)."""
    return [agent for agent in current_configuration().agents if agent.covers(area_id)]


def chat_presence_timeout() -> timedelta:
    """How long an agent counts as in the console after its last heartbeat."""
    return timedelta(seconds=_setting("CHAT_PRESENCE_TIMEOUT_SECONDS", 60))


def chat_max_chats_per_agent() -> int:
    return int(_setting("CHAT_AGENT_MAX_CHATS", 3))


@dataclass(frozen=True, slots=True)
class ChatCapacity:
    """The chat console now, for one queue: chats the agents there can hold, and take."""

    slots: int = 0
    free_slots: int = 0


def _chat_capacity(
    agents: Iterable[RosterAgent], chat_console: Mapping[int, int], *, language: str, team: Team
) -> ChatCapacity:
    limit = chat_max_chats_per_agent()
    slots = free = 0
    for agent in agents:
        if (
            agent.team == team
            and agent.speaks(language)
            and agent.available_for_chat
            and agent.user_id in chat_console
        ):
            held = chat_console[agent.user_id]
            slots += max(limit, held)
            free += max(0, limit - held)
    return ChatCapacity(slots=slots, free_slots=free)


def agent_schedule(agent: Agent | RosterAgent) -> Schedule:
    """The agent's shifts as windows in their time zone (a model's from prefetched shifts)."""
    if isinstance(agent, RosterAgent):
        return agent.schedule
    return Schedule(shift.window_in(agent.time_zone) for shift in agent.shifts.all())


_NO_HANDLE_TIMES = HandleTimes()


def average_handle_seconds(
    method: Method, *, language: str, area_id: int | None, team: Team, queues: QueueFacts
) -> float:
    """The measured mean handle time of a queue, or its team's, or the default."""
    times = queues.handle_times.get(method, _NO_HANDLE_TIMES)
    return times.mean_seconds((language, area_id, team))


def staffing_for(
    *,
    area: ProductArea,
    languages: Collection[str],
    queues: QueueFacts,
    roster: Sequence[RosterAgent] | None = None,
) -> Staffing:
    """The phone and chat queues of the area in these languages, as plain numbers.

    ``queues`` are the area's measurements (``tickets.queues.queue_facts``); ``roster``, the
    queue teams' agents already read (``queue_roster``) when several areas are measured at once.
    """
    if roster is None:
        covering = _agents_covering(area.pk)
    else:
        covering = [agent for agent in roster if agent.covers(area.pk)]
    agents = [(agent, agent.schedule) for agent in covering]
    hours_per_hour = 3600.0 / arrival_window().total_seconds()
    states: dict[Method, dict[QueueKey, QueueState]] = {Method.PHONE: {}, Method.CHAT: {}}
    for method, method_queues in states.items():
        handle = queues.handle_times.get(method, _NO_HANDLE_TIMES)
        for language in languages:
            for team in QUEUE_TEAMS:
                shifts = tuple(
                    schedule
                    for agent, schedule in agents
                    if agent.team == team
                    and agent.speaks(language)
                    and (method != Method.CHAT or agent.available_for_chat)
                )
                waiting, arrivals = queues.counts.get((method, language, team), (0, 0))
                capacity = (
                    _chat_capacity(covering, queues.chat_console, language=language, team=team)
                    if method == Method.CHAT
                    else None
                )
                method_queues[QueueKey(language, area.slug, team)] = QueueState(
                    agent_shifts=shifts,
                    waiting=waiting,
                    arrivals_per_hour=arrivals * hours_per_hour,
                    handle_seconds=handle.mean_seconds((language, area.pk, team)),
                    chat_slots=capacity.slots if capacity else None,
                    chat_free_slots=capacity.free_slots if capacity else None,
                )
    return Staffing(phone=states[Method.PHONE], chat=states[Method.CHAT])


# --- What the views call ------------------------------------------------------------------


def offer_languages(language: str) -> set[str]:
    """The languages whose queues an offer in ``language`` compares: it, and English."""
    return {language, policy.BASE_LANGUAGE}


def _check_language(language: str) -> None:
    if language not in {code for code, _label in settings.SUPPORT_LANGUAGES}:
        raise ValueError(f"{language!r} is not a support language")


def contact_offers_for(
    member: MemberFacts, *, area: ProductArea, language: str, now: datetime, queues: QueueFacts
) -> ContactOffers:
    """Every contact method's offer for this member, area and language at ``now``, given the
    area's queues in that language and English (``tickets.queues.queue_facts``).

    Raises ValueError for an unknown language.
    """
    _check_language(language)
    configuration = current_configuration()
    return policy.contact_offers(
        member.organisation,
        member.user,
        area_facts(area),
        language,
        now=now,
        hours=configuration.hours,
        staffing=staffing_for(
            area=area,
            languages=offer_languages(language),
            queues=queues,
            roster=configuration.agents,
        ),
        thresholds=routing_thresholds(),
    )


def callback_wait_estimate(
    *,
    language: str,
    area_id: int | None,
    team: str,
    position: int,
    now: datetime,
    queues: QueueFacts,
) -> WaitEstimate | None:
    """Expected wait, and its likely range (median, 90th percentile), of a queued callback.

    ``position`` 1 is next; ``queues`` needs the phone handle samples and, for the next in
    line, the queue's arrivals. The same model as the phone form's (``estimate_wait`` with
    the callbacks ahead), so that a confirmation repeats the form's figure while nothing
    has changed. None while nobody with the skill is on shift.
    """
    queue_team = Team(team)
    agents_on_shift = sum(
        1
        for agent in _agents_covering(area_id)
        if agent.team == queue_team
        and agent.speaks(language)
        and hours_maths.is_open(agent_schedule(agent), now)
    )
    if agents_on_shift == 0:
        return None
    handle = average_handle_seconds(
        Method.PHONE, language=language, area_id=area_id, team=queue_team, queues=queues
    )
    _waiting, arrivals = queues.counts.get((Method.PHONE, language, queue_team), (0, 0))
    hours_per_hour = 3600.0 / arrival_window().total_seconds()
    return estimate_wait(
        arrivals_per_hour=arrivals * hours_per_hour,
        agents=agents_on_shift,
        waiting=position - 1,
        handle_seconds=handle,
    )


def queue_agent_shifts(*, language: str, area_id: int | None, team: str) -> tuple[Schedule, ...]:
    """The weekly shifts of every active agent who can take this callback queue."""
    queue_team = Team(team)
    return tuple(
        agent_schedule(agent)
        for agent in _agents_covering(area_id)
        if agent.team == queue_team and agent.speaks(language)
    )


def chat_wait_estimate(
    *, language: str, area_id: int | None, team: str, position: int, queues: QueueFacts
) -> WaitEstimate | None:
    """Expected wait of a waiting chat at ``position`` (1 = next) in its queue.

    ``queues`` needs the chat handle samples and load. None while nobody with the skill is
    in the chat console to take it.
    """
    queue_team = Team(team)
    capacity = _chat_capacity(
        _agents_covering(area_id), queues.chat_console, language=language, team=queue_team
    )
    handle = average_handle_seconds(
        Method.CHAT, language=language, area_id=area_id, team=queue_team, queues=queues
    )
    return policy.chat_wait(
        position=position,
        slots=capacity.slots,
        free_slots=capacity.free_slots,
        handle_seconds=handle,
    )


@dataclass(frozen=True, slots=True)
class AgentSkills:
    """Which callbacks (and chats) an agent may take: languages, areas (None: every area),
    queue teams, and whether they take chats at all."""

    languages: list[str]
    area_ids: list[int] | None
    teams: list[str]
    takes_chats: bool = False


def agent_skills(user: User) -> AgentSkills | None:
    """None for staff who are not on the roster."""
    agent = (
        Agent.objects.filter(user_id=user.pk, is_active=True)
        .prefetch_related("product_areas")
        .first()
    )
    if agent is None:
        return None
    area_ids = [area.pk for area in agent.product_areas.all()]
    teams = [agent.team] if agent.team in (SupportTeam.GENERAL, SupportTeam.ENTERPRISE) else []
    return AgentSkills(
        languages=list(agent.languages),
        area_ids=area_ids or None,
        teams=teams,
        takes_chats=agent.available_for_chat,
    )


def conference_slots_for(
    *, start: datetime, end: datetime, booked: Collection[datetime] = ()
) -> list[datetime]:
    """Free conference-call slot starts (UTC) in ``[start, end)``.

    A slot is free while fewer calls are booked at it than Enterprise specialists are on
    shift for all of it; ``booked`` are the starts of calls already booked.
    """
    configuration = current_configuration()
    windows = configuration.hours.channel(Method.CONFERENCE, Team.ENTERPRISE)
    specialists = [
        agent.schedule for agent in configuration.agents if agent.team == SupportTeam.ENTERPRISE
    ]
    return hours_maths.free_slot_starts(
        windows, start=start, end=end, booked=booked, hosts=specialists
    )


# --- The agents' queue board ---------------------------------------------------------------


def queue_roster() -> list[RosterAgent]:
    """The queue teams' active agents with their shifts and areas (``routing.configuration``)."""
    return list(current_configuration().agents)


@dataclass(frozen=True, slots=True)
class BoardQueue:
    """One queue as the agents' board shows it: the agents with its skill who are on shift
    now (user ids), and the wait a customer joining it now is quoted (None: not quoted,
    because the queue is closed or nobody serves it)."""

    method: Method
    key: QueueKey
    area: ProductArea
    on_shift: frozenset[int]
    wait: WaitEstimate | None


def board_queues(
    *,
    facts_by_area: Mapping[int | None, QueueFacts],
    waiting: Collection[tuple[Method, str, int | None, Team]],
    now: datetime,
) -> list[BoardQueue]:
    """Every phone and chat queue (language × product area × team) that somebody on the
    roster serves or somebody waits in, with the wait quoted now, the way the contact
    offers work it out (``policy.queue_wait_now``).

    ``facts_by_area`` are every area's measurements (``tickets.queues``), ``waiting`` the
    queues somebody waits in. A fixed number of queries, whatever the number of tickets.
    """
    roster = queue_roster()
    hours = service_hours()
    languages = support_language_codes()
    rows: list[BoardQueue] = []
    for area in product_areas_active():
        if area.redirects_to_discover:
            continue
        facts = area_facts(area)
        staffing = staffing_for(
            area=area,
            languages=languages,
            queues=facts_by_area[area.pk],
            roster=roster,
        )
        covering = [agent for agent in roster if agent.covers(area.pk)]
        for method in (Method.PHONE, Method.CHAT):
            for language in languages:
                for team in QUEUE_TEAMS:
                    skilled = [
                        agent
                        for agent in covering
                        if agent.team == team
                        and agent.speaks(language)
                        and (method != Method.CHAT or agent.available_for_chat)
                    ]
                    chat_offered = method != Method.CHAT or language in facts.chat_languages
                    someone_waits = (method, language, area.pk, team) in waiting
                    if not someone_waits and not (skilled and chat_offered):
                        continue
                    key = QueueKey(language, area.slug, team)
                    rows.append(
                        BoardQueue(
                            method=method,
                            key=key,
                            area=area,
                            on_shift=frozenset(
                                agent.user_id
                                for agent in skilled
                                if hours_maths.is_open(agent.schedule, now)
                            ),
                            wait=policy.queue_wait_now(
                                method, key, facts, now=now, hours=hours, staffing=staffing
                            ),
                        )
                    )
    return rows


def rostered_agents(
    *, queues: Collection[StaffingQueue], half_hours: Sequence[HalfHour]
) -> dict[tuple[StaffingQueue, datetime], int]:
    """Per queue and half-hour (by its UTC start), the agents on shift for all of it (two
    queries: the agents and their shifts).

    An agent counts in every queue of their team whose language they speak: the plan says
    whether the roster could cover each queue, not how one agent's time is split between
    queues that share them.
    """
    counts: dict[tuple[StaffingQueue, datetime], int] = defaultdict(int)
    if not half_hours:
        return counts
    first, last = half_hours[0].start, half_hours[-1].end
    for agent in _agents_covering(None):
        serves = [
            queue for queue in queues if queue.team == agent.team and agent.speaks(queue.language)
        ]
        if not serves:
            continue
        openings = hours_maths.open_intervals(agent_schedule(agent), first, last)
        for half_hour in half_hours_covered(openings, half_hours):
            for queue in serves:
                counts[(queue, half_hour.start)] += 1
    return counts
