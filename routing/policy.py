"""The routing rules: who may use which contact method, when, with which team (R-METHODS).

Pure: no ORM and no clock. The selectors gather the facts from the database into the
plain dataclasses below and pass ``now``; everything here is decided from those values
alone, so a rule is tested by calling it.

Rules decided here, in one place:

- R-METHODS: who gets which method, from ``DEFAULT_METHOD_TABLE`` (the spec's table as
  data). A FedRAMP organisation's row *narrows* its licence's row: a self-service FedRAMP
  organisation gets email only; an Enterprise FedRAMP one gets email and phone, both from
  general support. An Enterprise Support seat counts only with an Enterprise licence.
- Hours: a method is *available* when its team's channel hours, the language's staffed
  hours (R-LANG-HOURS, not for English) and, for phone and chat, an agent's shift with that
  skill are all open now. Otherwise it is *not now* with the next moment they all are;
  email and phone still *accept requests* then (the email is answered, the callback made, at
  that moment: R-LANG-HOURS), chat does not.
- R-ENT-HOURS: Enterprise email and phone are served by the Enterprise team inside its
  hours; outside them general support serves and ``handover_at`` says when Enterprise
  takes over.
- R-ENT-LABEL: the Enterprise Support label goes on a seat holder's email (every area),
  phone (areas flagged ``enterprise_phone``) and conference calls.
- Waits: phone and chat offers carry an Erlang estimate for their queue (``erlang``); a
  chat whose expected wait is above the chat limit is *not now* ("temporarily
  unavailable").
- R-FALLBACK: for another language than English, the English offer of the same method is
  worked out too; ``suggest_english`` is set when English is open now and the chosen
  language is closed, or its expected wait is at least ``fallback_factor`` times English's
  and ``fallback_extra_seconds`` longer.
- R-BOT-OFF, R-REDIRECT, R-ACCT and the Discover redirect of R-AREA: the functions below
  the offers. FedRAMP users follow the Enterprise flow: no assistant and, like seat
  holders, no redirect question. Billing and primary contacts who are not brand
  administrators are asked the brand-administrator question, as standard users are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from routing import erlang
from routing.erlang import WaitEstimate
from routing.hours import (
    DEFAULT_CHANNEL_HOURS,
    DEFAULT_LANGUAGE_HOURS,
    Schedule,
    is_open,
    next_opening_in_all,
)

BASE_LANGUAGE = "en"
NEVER = Schedule()
DEFAULT_HANDLE_SECONDS = 8 * 60.0


class LicenceTier(StrEnum):
    SELF_SERVICE = "self_service"
    STANDARD = "standard"
    ENTERPRISE = "enterprise"


class Environment(StrEnum):
    COMMERCIAL = "commercial"
    FEDRAMP = "fedramp"


class Role(StrEnum):
    """Roles beyond a standard user's (R-ROLES); a user may hold several."""

    BRAND_ADMIN = "brand_admin"
    BILLING_CONTACT = "billing_contact"
    PRIMARY_CONTACT = "primary_contact"


class Method(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    PHONE = "phone"
    CONFERENCE = "conference"


class Team(StrEnum):
    GENERAL = "general"
    ENTERPRISE = "enterprise"
    ACCOUNT_SERVICES = "account_services"
    # The Technical Success Managers: Success Checks for Success Package customers.
    SUCCESS = "success"


class OfferStatus(StrEnum):
    AVAILABLE = "available"
    NOT_NOW = "not_now"
    NOT_IN_LICENCE = "not_in_licence"


class Reason(StrEnum):
    """Why an offer has its status; stable codes that the views turn into sentences."""

    OPEN = "open"
    OUTSIDE_HOURS = "outside_hours"  # the team's channel is closed
    OUTSIDE_LANGUAGE_HOURS = "outside_language_hours"
    LANGUAGE_NOT_OFFERED = "language_not_offered"  # never in this language (here)
    NOBODY_ON_SHIFT = "nobody_on_shift"
    NO_AGENT_FREE = "no_agent_free"  # chat: nobody with the skill is free in the console now
    QUEUE_TOO_LONG = "queue_too_long"
    NOT_IN_LICENCE = "not_in_licence"
    NEEDS_SUCCESS_PACKAGE = "needs_success_package"
    NOT_IN_ENVIRONMENT = "not_in_environment"  # FedRAMP
    AREA_NOT_ELIGIBLE = "area_not_eligible"
    DISCOVER_TEAM = "discover_team"


class Audience(StrEnum):
    """The rows of the R-METHODS table."""

    SELF_SERVICE = "self_service"
    STANDARD = "standard"
    ENTERPRISE = "enterprise"
    SEAT_HOLDER = "seat_holder"
    FEDRAMP = "fedramp"


class Cover(StrEnum):
    """What one cell of the R-METHODS table says; ordered from narrowest to widest."""

    NONE = "none"
    GENERAL = "general"
    ENTERPRISE_FLAGGED_AREAS = "enterprise_flagged_areas"  # Enterprise where area says so
    ENTERPRISE = "enterprise"


_COVER_ORDER = {cover: rank for rank, cover in enumerate(Cover)}


class RedirectQuestion(StrEnum):
    BRAND_ADMIN = "brand_admin"
    ACCOUNT_TEAM = "account_team"


class AccountTopic(StrEnum):
    BILLING = "billing"
    LICENCE = "licence"
    VENDOR_SECURITY_FORMS = "vendor_security_forms"
    SMS = "sms"
    PRODUCT_ACCESS = "product_access"
    FAILED_PAYMENT = "failed_payment"
    REFUND = "refund"
    SPECIALISED_BILLING = "specialised_billing"


ACCOUNT_TOPIC_LABELS: Mapping[AccountTopic, Promise] = {
    AccountTopic.BILLING: _("Billing, payment or renewal"),
    AccountTopic.LICENCE: _("Licence questions"),
    AccountTopic.VENDOR_SECURITY_FORMS: _("Vendor and security forms"),
    AccountTopic.SMS: _("SMS onboarding material or SMS credit top-up"),
    AccountTopic.PRODUCT_ACCESS: _("Product or feature access"),
    AccountTopic.FAILED_PAYMENT: _("A failed payment"),
    AccountTopic.REFUND: _("A refund"),
    AccountTopic.SPECIALISED_BILLING: _("Another specialised billing request"),
}

FULL_ACCOUNT_TOPICS = (
    AccountTopic.BILLING,
    AccountTopic.LICENCE,
    AccountTopic.VENDOR_SECURITY_FORMS,
    AccountTopic.SMS,
    AccountTopic.PRODUCT_ACCESS,
)
SELF_SERVICE_ACCOUNT_TOPICS = (
    AccountTopic.FAILED_PAYMENT,
    AccountTopic.REFUND,
    AccountTopic.SPECIALISED_BILLING,
)
ACCOUNT_SERVICES_ROLES = frozenset(Role)

MethodTable = Mapping[Audience, Mapping[Method, Cover]]

_STANDARD_ROW = {
    Method.CHAT: Cover.GENERAL,
    Method.EMAIL: Cover.GENERAL,
    Method.PHONE: Cover.GENERAL,
    Method.CONFERENCE: Cover.NONE,
}
DEFAULT_METHOD_TABLE: MethodTable = {
    Audience.SELF_SERVICE: {
        Method.CHAT: Cover.NONE,
        Method.EMAIL: Cover.GENERAL,
        Method.PHONE: Cover.NONE,
        Method.CONFERENCE: Cover.NONE,
    },
    Audience.STANDARD: _STANDARD_ROW,
    Audience.ENTERPRISE: _STANDARD_ROW,
    Audience.SEAT_HOLDER: {
        Method.CHAT: Cover.GENERAL,
        Method.EMAIL: Cover.ENTERPRISE,
        Method.PHONE: Cover.ENTERPRISE_FLAGGED_AREAS,
        Method.CONFERENCE: Cover.ENTERPRISE,
    },
    Audience.FEDRAMP: {
        Method.CHAT: Cover.NONE,
        Method.EMAIL: Cover.GENERAL,
        Method.PHONE: Cover.GENERAL,
        Method.CONFERENCE: Cover.NONE,
    },
}
"""R-METHODS. Where a cell is not NONE the method still follows the hours."""


# --- Inputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationFacts:
    licence: LicenceTier
    environment: Environment = Environment.COMMERCIAL
    success_packages: int = 0

    @property
    def is_fedramp(self) -> bool:
        return self.environment == Environment.FEDRAMP


@dataclass(frozen=True, slots=True)
class UserFacts:
    roles: frozenset[Role] = frozenset()
    has_seat: bool = False

    @property
    def is_brand_admin(self) -> bool:
        return Role.BRAND_ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class AreaFacts:
    slug: str
    redirects_to_discover: bool = False
    chat_languages: frozenset[str] = frozenset({BASE_LANGUAGE})
    conference_call_eligible: bool = False
    enterprise_phone: bool = False


@dataclass(frozen=True, slots=True)
class QueueKey:
    """A queue: language × product area × team (R-QUEUE)."""

    language: str
    area: str
    team: Team

    def __str__(self) -> str:
        return f"{self.language}:{self.area}:{self.team}"


@lru_cache(maxsize=1024)
def any_shift_of(agent_shifts: tuple[Schedule, ...]) -> Schedule:
    """When someone of these agents is on shift, as one schedule.

    Every request builds its queues anew from the same few rosters' schedules; joining their
    windows (and hashing them) was most of the cost of a method offer, so each distinct
    tuple of schedules is joined once per process."""
    return Schedule(window for schedule in agent_shifts for window in schedule)


@dataclass(frozen=True, slots=True)
class QueueState:
    """One queue as numbers: who could work it, and how busy it is."""

    agent_shifts: tuple[Schedule, ...] = ()  # one weekly schedule per agent with the skill
    waiting: int = 0
    arrivals_per_hour: float = 0.0
    handle_seconds: float = DEFAULT_HANDLE_SECONDS
    # Chat only, when measured: the chats the agents with the skill who are in the chat
    # console now can hold at once, and how many of those they can still take. None: not
    # measured, the shifts count (as for phone).
    chat_slots: int | None = None
    chat_free_slots: int | None = None
    any_shift: Schedule = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "any_shift", any_shift_of(self.agent_shifts))

    def agents_on_shift(self, now: datetime) -> int:
        return sum(1 for shifts in self.agent_shifts if is_open(shifts, now))

    @property
    def chat_measured(self) -> bool:
        return self.chat_slots is not None and self.chat_free_slots is not None


NOBODY = QueueState()


@dataclass(frozen=True, slots=True)
class ServiceHours:
    channels: Mapping[tuple[Method, Team], Schedule]
    languages: Mapping[str, Schedule]

    def channel(self, method: Method, team: Team) -> Schedule:
        return self.channels.get((method, team), NEVER)


def default_service_hours() -> ServiceHours:
    """The spec's hours, as the database holds them after the first migration."""
    return ServiceHours(
        channels={
            (Method(channel), Team(team)): windows
            for (channel, team), windows in DEFAULT_CHANNEL_HOURS.items()
        },
        languages=dict(DEFAULT_LANGUAGE_HOURS),
    )


@dataclass(frozen=True, slots=True)
class Staffing:
    phone: Mapping[QueueKey, QueueState] = field(default_factory=dict)
    chat: Mapping[QueueKey, QueueState] = field(default_factory=dict)

    def queue(self, method: Method, key: QueueKey) -> QueueState:
        queues = self.chat if method == Method.CHAT else self.phone
        return queues.get(key, NOBODY)


@dataclass(frozen=True, slots=True)
class Thresholds:
    fallback_factor: float = 2.0
    fallback_extra_seconds: float = 5 * 60.0
    chat_max_wait_seconds: float = 10 * 60.0


# --- Outputs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MethodOffer:
    method: Method
    status: OfferStatus
    reason: Reason
    team: Team | None = None
    queue: QueueKey | None = None
    enterprise_label: bool = False
    upgrade_hint: bool = False
    # Not now: when it opens (None: not known, e.g. never staffed in this language).
    next_opening: datetime | None = None
    # General support covers for Enterprise; Enterprise takes over at this moment.
    handover_at: datetime | None = None
    # A request left now is taken (email answered, callback made) at next_opening.
    accepts_requests: bool = False
    wait: WaitEstimate | None = None
    english_now: bool = False
    english_wait: WaitEstimate | None = None
    suggest_english: bool = False

    @property
    def is_available(self) -> bool:
        return self.status == OfferStatus.AVAILABLE

    @property
    def is_offered(self) -> bool:
        """In the licence: available now or later."""
        return self.status != OfferStatus.NOT_IN_LICENCE


@dataclass(frozen=True, slots=True)
class ContactOffers:
    chat: MethodOffer
    email: MethodOffer
    phone: MethodOffer
    conference: MethodOffer
    discover_redirect: bool
    shows_assistant: bool
    urgent_method: Method | None  # what to recommend for an urgent problem

    def __iter__(self) -> Iterator[MethodOffer]:
        return iter((self.chat, self.email, self.phone, self.conference))

    def __getitem__(self, method: Method) -> MethodOffer:
        return {
            Method.CHAT: self.chat,
            Method.EMAIL: self.email,
            Method.PHONE: self.phone,
            Method.CONFERENCE: self.conference,
        }[method]

    def usable_now(self) -> tuple[MethodOffer, ...]:
        """What to list after "Contact support": open now, or taking requests for later."""
        return tuple(offer for offer in self if offer.is_available or offer.accepts_requests)


@dataclass(frozen=True, slots=True)
class AccountServicesAccess:
    eligible: bool
    topics: tuple[AccountTopic, ...]


# --- Who the user is, in the table's terms ------------------------------------------------


def is_seat_holder(organisation: OrganisationFacts, user: UserFacts) -> bool:
    return user.has_seat and organisation.licence == LicenceTier.ENTERPRISE


def licence_audience(organisation: OrganisationFacts, user: UserFacts) -> Audience:
    if is_seat_holder(organisation, user):
        return Audience.SEAT_HOLDER
    return Audience(organisation.licence.value)


def method_cover(
    method: Method,
    organisation: OrganisationFacts,
    user: UserFacts,
    table: MethodTable = DEFAULT_METHOD_TABLE,
) -> tuple[Cover, Reason]:
    """The table's cell for this user, and why it is NONE when it is."""
    cover = table[licence_audience(organisation, user)][method]
    reason = Reason.OPEN
    if cover == Cover.NONE:
        reason = (
            Reason.NEEDS_SUCCESS_PACKAGE if method == Method.CONFERENCE else Reason.NOT_IN_LICENCE
        )
    if organisation.is_fedramp:
        fedramp = table[Audience.FEDRAMP][method]
        if fedramp == Cover.NONE:
            return Cover.NONE, Reason.NOT_IN_ENVIRONMENT
        cover = min(cover, fedramp, key=_COVER_ORDER.__getitem__)
    return cover, reason


# --- The hub flow around the offers --------------------------------------------------------


def shows_assistant(organisation: OrganisationFacts, user: UserFacts) -> bool:
    """R-BOT-OFF: in the hub flow, FedRAMP users and seat holders see the methods directly."""
    return not (organisation.is_fedramp or is_seat_holder(organisation, user))


def assistant_on_knowledge_base(organisation: OrganisationFacts) -> bool:
    """R-BOT-OFF: seat holders keep the assistant on knowledge-base pages; FedRAMP never."""
    return not organisation.is_fedramp


def redirect_question(organisation: OrganisationFacts, user: UserFacts) -> RedirectQuestion | None:
    """R-REDIRECT: the question asked before the product area, if any."""
    if is_seat_holder(organisation, user) or organisation.is_fedramp:
        return None
    if user.is_brand_admin:
        return RedirectQuestion.ACCOUNT_TEAM
    return RedirectQuestion.BRAND_ADMIN


def account_services_access(
    organisation: OrganisationFacts, user: UserFacts
) -> AccountServicesAccess:
    """R-ACCT: brand administrators, billing and primary contacts only."""
    if not user.roles & ACCOUNT_SERVICES_ROLES:
        return AccountServicesAccess(eligible=False, topics=())
    if organisation.licence == LicenceTier.SELF_SERVICE:
        return AccountServicesAccess(eligible=True, topics=SELF_SERVICE_ACCOUNT_TOPICS)
    return AccountServicesAccess(eligible=True, topics=FULL_ACCOUNT_TOPICS)


# --- One method's offer --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Path:
    """One team's way of serving the request, with everything that must be open."""

    team: Team
    hours: tuple[Schedule, ...]  # the channel's, and the language's unless English
    queue: QueueState | None  # phone and chat: the agents who would pick it up

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        """Everything that must be open together, shifts included."""
        return self.hours if self.queue is None else (*self.hours, self.queue.any_shift)

    def hours_open(self, now: datetime) -> bool:
        return all(is_open(schedule, now) for schedule in self.hours)

    def agents_now(self, now: datetime) -> int:
        """How many agents serve the path now (1 for email while its hours are open).

        For a chat queue whose console presence is measured, the agents who are in the
        console count, each with several chats at once: the servers are chat slots.
        """
        if not self.hours_open(now):
            return 0
        if self.queue is None:
            return 1
        if self.queue.chat_measured:
            return self.queue.chat_slots or 0
        return self.queue.agents_on_shift(now)


def _language_hours(hours: ServiceHours, language: str) -> Schedule | None:
    """The language's staffed hours: None for no restriction, empty for never staffed.

    English without hours of its own follows each channel's hours; any other language
    without hours is not staffed at all.
    """
    schedule = hours.languages.get(language, NEVER)
    if not schedule and language == BASE_LANGUAGE:
        return None
    return schedule


def _path(
    method: Method,
    team: Team,
    area: AreaFacts,
    language: str,
    hours: ServiceHours,
    staffing: Staffing,
) -> _Path:
    channel = hours.channel(method, team)
    language_hours = _language_hours(hours, language)
    opening_hours = (channel,) if language_hours is None else (channel, language_hours)
    queue = None
    if method in (Method.PHONE, Method.CHAT):
        queue = staffing.queue(method, QueueKey(language, area.slug, team))
    return _Path(team, opening_hours, queue)


def _closed_reason(
    method: Method, path: _Path, hours: ServiceHours, language: str, now: datetime
) -> Reason:
    if not is_open(hours.channel(method, path.team), now):
        return Reason.OUTSIDE_HOURS
    language_hours = _language_hours(hours, language)
    if language_hours is not None and not is_open(language_hours, now):
        return Reason.OUTSIDE_LANGUAGE_HOURS
    return Reason.NOBODY_ON_SHIFT


def _not_offered(method: Method, reason: Reason, *, upgrade_hint: bool = False) -> MethodOffer:
    return MethodOffer(
        method=method, status=OfferStatus.NOT_IN_LICENCE, reason=reason, upgrade_hint=upgrade_hint
    )


def _conference_offer(
    cover: Cover, area: AreaFacts, language: str, hours: ServiceHours, now: datetime
) -> MethodOffer:
    if not area.conference_call_eligible:
        return _not_offered(Method.CONFERENCE, Reason.AREA_NOT_ELIGIBLE)
    key = QueueKey(language, area.slug, Team.ENTERPRISE)
    slots_open = next_opening_in_all([hours.channel(Method.CONFERENCE, Team.ENTERPRISE)], now)
    if slots_open is None:
        return MethodOffer(
            method=Method.CONFERENCE,
            status=OfferStatus.NOT_NOW,
            reason=Reason.OUTSIDE_HOURS,
            team=Team.ENTERPRISE,
            queue=key,
            enterprise_label=True,
        )
    # A call is booked for a later slot: it can be booked at any time.
    return MethodOffer(
        method=Method.CONFERENCE,
        status=OfferStatus.AVAILABLE,
        reason=Reason.OPEN,
        team=Team.ENTERPRISE,
        queue=key,
        enterprise_label=cover == Cover.ENTERPRISE,
        accepts_requests=True,
    )


def _served_offer(
    method: Method,
    cover: Cover,
    area: AreaFacts,
    language: str,
    *,
    now: datetime,
    hours: ServiceHours,
    staffing: Staffing,
    thresholds: Thresholds,
) -> MethodOffer:
    """Chat, email or phone, for a user whose licence includes it."""
    enterprise = cover == Cover.ENTERPRISE or (
        cover == Cover.ENTERPRISE_FLAGGED_AREAS and area.enterprise_phone
    )
    accepts_requests = method in (Method.EMAIL, Method.PHONE)
    if method == Method.CHAT and language not in area.chat_languages:
        return MethodOffer(
            method=method,
            status=OfferStatus.NOT_NOW,
            reason=Reason.LANGUAGE_NOT_OFFERED,
            team=Team.GENERAL,
            queue=QueueKey(language, area.slug, Team.GENERAL),
        )
    general = _path(method, Team.GENERAL, area, language, hours, staffing)
    paths = [general]
    if enterprise:
        paths.insert(0, _path(method, Team.ENTERPRISE, area, language, hours, staffing))

    def handover_after(moment: datetime) -> datetime | None:
        return next_opening_in_all(paths[0].schedules, moment) if enterprise else None

    for path in paths:
        queue = path.queue
        if (
            method == Method.CHAT
            and queue is not None
            and queue.chat_measured
            and path.hours_open(now)
            and not queue.chat_free_slots
        ):
            # Inside the hours, but nobody with the skill is free in the console right now.
            return MethodOffer(
                method=method,
                status=OfferStatus.NOT_NOW,
                reason=Reason.NO_AGENT_FREE,
                team=path.team,
                queue=QueueKey(language, area.slug, path.team),
            )
        agents = path.agents_now(now)
        if agents:
            wait = None if queue is None else queue_wait(queue, agents)
            key = QueueKey(language, area.slug, path.team)
            too_long = wait is not None and wait.expected_seconds > thresholds.chat_max_wait_seconds
            if method == Method.CHAT and too_long:
                return MethodOffer(
                    method=method,
                    status=OfferStatus.NOT_NOW,
                    reason=Reason.QUEUE_TOO_LONG,
                    team=path.team,
                    queue=key,
                    wait=wait,
                )
            return MethodOffer(
                method=method,
                status=OfferStatus.AVAILABLE,
                reason=Reason.OPEN,
                team=path.team,
                queue=key,
                enterprise_label=enterprise,
                handover_at=handover_after(now) if path.team == Team.GENERAL else None,
                accepts_requests=accepts_requests or method == Method.CHAT,
                wait=wait,
            )

    # Nobody serves it now: the earliest path to open takes it (Enterprise on a tie).
    chosen, opening = paths[-1], None
    for path in paths:
        candidate = next_opening_in_all(path.schedules, now)
        if candidate is not None and (opening is None or candidate < opening):
            chosen, opening = path, candidate
    language_hours = _language_hours(hours, language)
    never_staffed = language_hours is not None and not language_hours
    return MethodOffer(
        method=method,
        status=OfferStatus.NOT_NOW,
        reason=(
            Reason.LANGUAGE_NOT_OFFERED
            if never_staffed
            else _closed_reason(method, general, hours, language, now)
        ),
        team=chosen.team,
        queue=QueueKey(language, area.slug, chosen.team),
        enterprise_label=enterprise,
        next_opening=opening,
        handover_at=(
            handover_after(opening) if chosen.team == Team.GENERAL and opening is not None else None
        ),
        accepts_requests=accepts_requests and opening is not None,
    )


def queue_wait(queue: QueueState, agents: int) -> WaitEstimate:
    """The wait quoted to someone joining ``queue`` now while ``agents`` serve it: what the
    contact offers say, and what the agents' queue board shows beside the queue."""
    return erlang.estimate_wait(
        arrivals_per_hour=queue.arrivals_per_hour,
        agents=agents,
        waiting=_waiting_ahead(queue),
        handle_seconds=queue.handle_seconds,
    )


def queue_wait_now(
    method: Method,
    key: QueueKey,
    area: AreaFacts,
    *,
    now: datetime,
    hours: ServiceHours,
    staffing: Staffing,
) -> WaitEstimate | None:
    """The wait a newcomer to this phone or chat queue is quoted at ``now``; None while the
    queue is closed or nobody serves it (the offer then gives the next opening instead)."""
    path = _path(method, key.team, area, key.language, hours, staffing)
    agents = path.agents_now(now)
    queue = path.queue
    if not agents or queue is None:
        return None
    if method == Method.CHAT and queue.chat_measured and not queue.chat_free_slots:
        return None  # customers are told chat is unavailable, not quoted a wait
    return queue_wait(queue, agents)


def _waiting_ahead(queue: QueueState) -> int:
    """Requests a newcomer waits behind. For a measured chat queue, waiting chats take the
    free slots first; a newcomer only waits for a chat to end once those are gone."""
    if queue.chat_measured:
        return max(0, queue.waiting - (queue.chat_free_slots or 0))
    return queue.waiting


def chat_wait(
    *, position: int, slots: int, free_slots: int, handle_seconds: float
) -> WaitEstimate | None:
    """The wait of a chat at ``position`` (1 = next) in its queue.

    Within the free slots an agent can take it at once (0 seconds: it is for them to accept);
    behind them it waits for chats to end, at the pooled rate of every slot. None when
    nobody is in the console to take it.
    """
    if position < 1:
        raise ValueError("positions start at 1")
    if slots < 1:
        return None
    if position <= free_slots:
        return WaitEstimate(0.0, 0.0, 0.0, 0.0)
    return erlang.wait_behind(position - max(free_slots, 0), slots, handle_seconds)


def _with_english_fallback(
    offer: MethodOffer, english: MethodOffer, thresholds: Thresholds
) -> MethodOffer:
    """R-FALLBACK and R-LANG-HOURS: offer English when it is open and much faster."""
    english_now = english.is_available
    suggest = False
    if english_now and not offer.is_available:
        suggest = True
    elif english_now and offer.wait is not None and english.wait is not None:
        chosen, quick = offer.wait.expected_seconds, english.wait.expected_seconds
        suggest = (
            chosen >= quick * thresholds.fallback_factor
            and chosen - quick >= thresholds.fallback_extra_seconds
        )
    return replace(
        offer,
        english_now=english_now,
        english_wait=english.wait if english_now else None,
        suggest_english=suggest,
    )


def method_offer(
    method: Method,
    organisation: OrganisationFacts,
    user: UserFacts,
    area: AreaFacts,
    language: str,
    *,
    now: datetime,
    hours: ServiceHours,
    staffing: Staffing,
    thresholds: Thresholds = Thresholds(),
    table: MethodTable = DEFAULT_METHOD_TABLE,
) -> MethodOffer:
    """One contact method's offer for this user, area and language at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if area.redirects_to_discover:
        return _not_offered(method, Reason.DISCOVER_TEAM)
    cover, reason = method_cover(method, organisation, user, table)
    if cover == Cover.NONE:
        return _not_offered(method, reason, upgrade_hint=reason != Reason.NOT_IN_ENVIRONMENT)
    if method == Method.CONFERENCE:
        return _conference_offer(cover, area, language, hours, now)
    offer = _served_offer(
        method,
        cover,
        area,
        language,
        now=now,
        hours=hours,
        staffing=staffing,
        thresholds=thresholds,
    )
    if language == BASE_LANGUAGE or method == Method.EMAIL:
        return offer
    english = _served_offer(
        method,
        cover,
        area,
        BASE_LANGUAGE,
        now=now,
        hours=hours,
        staffing=staffing,
        thresholds=thresholds,
    )
    return _with_english_fallback(offer, english, thresholds)


def contact_offers(
    organisation: OrganisationFacts,
    user: UserFacts,
    area: AreaFacts,
    language: str,
    *,
    now: datetime,
    hours: ServiceHours,
    staffing: Staffing,
    thresholds: Thresholds = Thresholds(),
    table: MethodTable = DEFAULT_METHOD_TABLE,
) -> ContactOffers:
    """Every contact method's offer, and what the flow around them shows."""
    offers = {
        method: method_offer(
            method,
            organisation,
            user,
            area,
            language,
            now=now,
            hours=hours,
            staffing=staffing,
            thresholds=thresholds,
            table=table,
        )
        for method in Method
    }
    phone = offers[Method.PHONE]
    urgent = (
        Method.PHONE
        if organisation.licence == LicenceTier.ENTERPRISE and phone.is_offered
        else None
    )
    return ContactOffers(
        chat=offers[Method.CHAT],
        email=offers[Method.EMAIL],
        phone=phone,
        conference=offers[Method.CONFERENCE],
        discover_redirect=area.redirects_to_discover,
        shows_assistant=shows_assistant(organisation, user),
        urgent_method=urgent,
    )
