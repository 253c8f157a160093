"""Reads about organisations and members."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.cache import caches
from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet

from hub.accounts.http import HtmxHttpRequest
from hub.accounts.models import (
    EnterpriseSeat,
    Environment,
    IdentityProvider,
    Invitation,
    Membership,
    Organisation,
    OutboundEmail,
    SsoIdentity,
    StaffRole,
    User,
)
from hub.accounts.user_copies import MEMBER_LIST_VERSION, member_read
from hub.compiled_rows import ColumnConverters, values_converted

# The environment ("commercial" or "fedramp") the user signed in to, kept in the session.
SESSION_ENVIRONMENT_KEY = "hub_environment"
# The salt of the signed links in invitation emails.
INVITATION_SALT = "hub.invitation"


def membership_of(user: User | AnonymousUser) -> Membership | None:
    """The user's membership with its organisation, or None for staff and strangers."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("organisation").filter(user=user).first()


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A member as every step of the flow first reads them."""

    membership: Membership  # with its organisation
    seat_in_organisation: bool  # an Enterprise Support seat in the membership's organisation
    seat_anywhere: bool


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    # Per selected column, the converters Django's compiler would apply (SQLite's dates and
    # booleans come back as text and integers).
    converters: tuple[ColumnConverters, ...]
    membership_fields: tuple[str, ...]
    organisation_fields: tuple[str, ...]


@functools.cache
def _member_statement(vendor: str) -> _Statement:
    quote = connection.ops.quote_name
    membership_fields = Membership._meta.concrete_fields
    organisation_fields = Organisation._meta.concrete_fields
    seats = quote(EnterpriseSeat._meta.db_table)
    # Concrete fields always have a column; the stubs type it for every field.
    columns = [f"m.{quote(str(field.column))}" for field in membership_fields] + [
        f"o.{quote(str(field.column))}" for field in organisation_fields
    ]

    def column(model: Any, name: str) -> str:
        return quote(str(model._meta.get_field(name).column))

    m_user, m_organisation = column(Membership, "user"), column(Membership, "organisation")
    s_user, s_organisation = column(EnterpriseSeat, "user"), column(EnterpriseSeat, "organisation")
    sql = (
        f"SELECT {', '.join(columns)}, "
        f"EXISTS (SELECT 1 FROM {seats} s WHERE s.{s_user} = m.{m_user} "
        f"AND s.{s_organisation} = m.{m_organisation}), "
        f"EXISTS (SELECT 1 FROM {seats} s WHERE s.{s_user} = m.{m_user}) "
        f"FROM {quote(Membership._meta.db_table)} m "
        f"INNER JOIN {quote(Organisation._meta.db_table)} o "
        f"ON o.{quote(str(Organisation._meta.pk.column))} = m.{m_organisation} "
        f"WHERE m.{m_user} = %s"
    )
    expressions = [field.get_col("m") for field in membership_fields] + [
        field.get_col("o") for field in organisation_fields
    ]
    converters = tuple(
        (
            index,
            tuple(
                connection.ops.get_db_converters(expression)
                + expression.get_db_converters(connection)
            ),
            expression,
        )
        for index, expression in enumerate(expressions)
    )
    return _Statement(
        sql=sql,
        converters=converters,
        membership_fields=tuple(field.attname for field in membership_fields),
        organisation_fields=tuple(field.attname for field in organisation_fields),
    )


def _member_values(user_id: int) -> list[Any] | None:
    """The member statement's row for the user, as Python values; None: in no organisation."""
    statement = _member_statement(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return values_converted(list(row), statement.converters, connection)


def member_row(user_id: int) -> MemberRow | None:
    """The user's membership with its organisation, and whether they hold an Enterprise
    Support seat (None: not a member of an organisation).

    Every step of the flow and the history reads it first. It is one statement, written out
    and built once per process (the ORM spent about 1.3 ms building and reading it where the
    database spends 0.07), and it usually comes with the session from Redis instead: a copy
    of its values that a change to the membership, the organisation or a seat replaces
    (``hub.accounts.user_copies``)."""
    values = member_read(user_id, _member_values)
    if values is None:
        return None
    statement = _member_statement(connection.vendor)
    split = len(statement.membership_fields)
    end = split + len(statement.organisation_fields)
    membership = Membership.from_db(connection.alias, statement.membership_fields, values[:split])
    organisation = Organisation.from_db(
        connection.alias, statement.organisation_fields, values[split:end]
    )
    Membership.organisation.field.set_cached_value(membership, organisation)
    return MemberRow(
        membership=membership,
        seat_in_organisation=bool(values[end]),
        seat_anywhere=bool(values[end + 1]),
    )


def membership_and_services_of(user: User | AnonymousUser) -> tuple[Membership | None, bool]:
    """The hub home's reading of the user (one query): their membership with its organisation,
    and whether they have a "Your services" page (``success_membership_of`` finds one)."""
    if not user.is_authenticated:
        return None, False
    row = member_row(user.pk)
    if row is None:
        return None, False
    membership = row.membership
    return membership, row.seat_in_organisation and membership.organisation.success_packages > 0


def success_membership_of(user: User | AnonymousUser) -> Membership | None:
    """The membership of a user who holds an Enterprise Support seat in an organisation with
    Success Packages, with the organisation and its Technical Success Manager (one query);
    None for everyone else, who has no "Your services" page."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organisation__technical_success_manager")
        .filter(
            user_id=user.pk,
            organisation__success_packages__gt=0,
            organisation__seats__user_id=user.pk,
        )
        .first()
    )


def brand_admins_of(membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id, is_brand_admin=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


def account_services_contacts_of(membership: Membership) -> QuerySet[Membership]:
    """Everyone in the organisation who may ask Account Services (R-ACCT): brand
    administrators, billing contacts and primary contacts."""
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id)
        .filter(Q(is_brand_admin=True) | Q(is_billing_contact=True) | Q(is_primary_contact=True))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


# --- Sign-in and the brand administrator's pages ---------------------------------------------


def session_environment(request: HtmxHttpRequest) -> str:
    """The environment the user signed in to: "commercial" or "fedramp" (R-ENV).

    Recorded in the session at sign-in; for a session that somehow lacks it, the user's own
    organisation decides, so a FedRAMP user is never taken for a commercial one.
    """
    recorded = request.session.get(SESSION_ENVIRONMENT_KEY)
    if recorded in Environment.values:
        return str(recorded)
    membership = membership_of(request.user)
    if membership is not None:
        return membership.organisation.environment
    return Environment.COMMERCIAL


def organisation_domains(organisation: Organisation) -> set[str]:
    return {domain.lower() for domain in organisation.domains.values_list("domain", flat=True)}


def identity_provider_for_login(login: str) -> IdentityProvider | None:
    """The enabled SSO provider of the organisation owning the email's domain, if any."""
    if "@" not in login:
        return None
    domain = login.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return (
        IdentityProvider.objects.select_related("organisation")
        .filter(is_enabled=True, organisation__domains__domain__iexact=domain)
        .first()
    )


def identity_provider_of_user(user: User) -> IdentityProvider | None:
    """The enabled SSO provider the user's organisation signs in with, if any."""
    return (
        IdentityProvider.objects.select_related("organisation")
        .filter(is_enabled=True, organisation__memberships__user=user)
        .first()
    )


def administered_membership(user: User) -> Membership | None:
    """The user's membership if it makes them a brand administrator, else None."""
    membership = membership_of(user)
    if membership is None or not membership.is_brand_admin or not user.is_active:
        return None
    return membership


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "user__enterprise_seat")
        .annotate(sso_linked=Exists(SsoIdentity.objects.filter(user_id=OuterRef("user_id"))))
        .order_by("user__last_name", "user__first_name", "user__email")
    )


# People offered in a list: (user id, name or address).
type People = tuple[tuple[int, str], ...]


def _person_name(first_name: str, last_name: str, email: str) -> str:
    # As User.get_full_name words it, falling back to the address.
    return f"{first_name} {last_name}".strip() or email


def _people_kept(key: str, users: Callable[[], QuerySet[User]]) -> People:
    """``users`` as (id, name or address), by last name, first name and address: read once
    per process, then again after any user or membership changes
    (``user_copies.MEMBER_LIST_VERSION``)."""
    # One entry a list, with the token it was read under: a list kept per token would
    # leave every superseded list in memory until the cache culls it.
    token = MEMBER_LIST_VERSION.current()
    kept: tuple[str, People] | None = caches["fragments"].get(key)
    if kept is not None and kept[0] == token:
        return kept[1]
    rows = (
        users()
        .order_by("last_name", "first_name", "email")
        .values_list("pk", "first_name", "last_name", "email")
    )
    # A tuple: the fragments cache hands out what it keeps, not a copy.
    people = tuple((pk, _person_name(first, last, email)) for pk, first, last, email in rows)
    caches["fragments"].set(key, (token, people), None)
    return people


def people_named(user_ids: Iterable[int]) -> dict[int, str]:
    """These users' names as ``_people_kept`` words them, by id, read now."""
    rows = User.objects.filter(pk__in=list(user_ids)).values_list(
        "pk", "first_name", "last_name", "email"
    )
    return {pk: _person_name(first, last, email) for pk, first, last, email in rows}


def organisation_people(organisation_id: int) -> People:
    """The organisation's members, kept built (``_people_kept``): a brand administrator's
    history filters by them on every page, and an organisation has hundreds."""
    return _people_kept(
        f"organisation-people:{organisation_id}",
        lambda: User.objects.filter(membership__organisation_id=organisation_id),
    )


def active_agents() -> People:
    """Active staff, to whom a ticket may be given, kept built (``_people_kept``): the
    admin's change page offers them on every ticket it opens."""
    return _people_kept("active-agents", lambda: User.objects.filter(is_staff=True, is_active=True))


def member_of(organisation: Organisation, membership_id: int) -> Membership | None:
    return (
        Membership.objects.filter(organisation=organisation, pk=membership_id)
        .select_related("user")
        .first()
    )


def open_invitations_of(
    organisation: Organisation, *, now: datetime.datetime
) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organisation=organisation,
        accepted_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=now,
    ).select_related("invited_by")


@dataclass(frozen=True)
class SeatSummary:
    capacity: int
    used: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.used, 0)


def seat_summary(organisation: Organisation) -> SeatSummary:
    used = EnterpriseSeat.objects.filter(organisation=organisation).count()
    return SeatSummary(capacity=organisation.seat_capacity, used=used)


def seats_of(organisation: Organisation) -> QuerySet[EnterpriseSeat]:
    return (
        EnterpriseSeat.objects.filter(organisation=organisation)
        .select_related("user", "assigned_by")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def members_without_seat(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .filter(user__enterprise_seat__isnull=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def invitation_for_token(token: str, *, now: datetime.datetime) -> Invitation | None:
    """The open invitation a link stands for; None if forged, expired, used or cancelled."""
    try:
        secret = signing.loads(token, salt=INVITATION_SALT, max_age=settings.HUB_INVITATION_MAX_AGE)
    except signing.BadSignature:
        return None
    invitation = (
        Invitation.objects.select_related("organisation", "organisation__identity_provider")
        .filter(secret=str(secret))
        .first()
    )
    if invitation is None or not invitation.is_usable(now=now):
        return None
    return invitation


def outbound_emails_parked_count() -> int:
    """Emails the outbox gave up on, for /healthz and operators."""
    return OutboundEmail.objects.filter(parked_at__isnull=False).count()


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    failing: int
    oldest: datetime.datetime | None


def outbound_email_backlog() -> OutboxBacklog:
    """Emails not sent yet (and of those, the ones that failed at least once), with when the
    oldest was written, for the operators' metrics: one query on the outbound_email_unsent
    partial index, so it costs the backlog's size, not the outbox's."""
    row = OutboundEmail.objects.filter(sent_at__isnull=True, parked_at__isnull=True).aggregate(
        pending=Count("pk"), failing=Count("pk", filter=Q(attempts__gt=0)), oldest=Min("created_at")
    )
    return OutboxBacklog(pending=row["pending"], failing=row["failing"], oldest=row["oldest"])


def is_supervisor(user: User | AnonymousUser) -> bool:
    """Staff in the supervisors' group (or superusers): they plan the roster."""
    if not (user.is_authenticated and user.is_staff and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=StaffRole.SUPERVISOR.value).exists()
