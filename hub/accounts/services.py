"""Writes about organisations, members and staff."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from typing import Any

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from hub.accounts import sso
from hub.accounts.models import (
    EnterpriseSeat,
    IdentityProvider,
    Invitation,
    Membership,
    Organisation,
    SsoIdentity,
    StaffRole,
    User,
    validate_time_zone,
)
from hub.accounts.outbox import outbound_email_queue
from hub.accounts.selectors import (
    INVITATION_SALT,
    identity_provider_for_login,
    organisation_domains,
)
from hub.accounts.sso import PRESETS, SsoError, SsoRefused, email_domain

# What each staff group may do in the admin (app_label.codename).
STAFF_PERMISSIONS: dict[StaffRole, list[str]] = {
    StaffRole.AGENT: [
        "tickets.view_ticket",
        "tickets.change_ticket",
        "tickets.view_ticketevent",
        # A conference ticket's booking (its time and host) is shown on the ticket's page.
        "tickets.view_conferencebooking",
        "tickets.view_callbackrequest",
        "tickets.view_inboundemail",
        "tickets.change_inboundemail",
        "tickets.view_serviceleveltarget",
        "hub.view_organisation",
        "hub.view_user",
        "routing.view_productarea",
        "routing.view_agent",
        "routing.view_agentshift",
        "routing.view_servicewindow",
        "routing.view_languagewindow",
        "chatbot.view_article",
        "chatbot.view_articleversion",
        "chatbot.view_conversation",
        "chatbot.view_turn",
    ],
    StaffRole.TSM: [
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.change_ticket",
        "tickets.view_ticketevent",
        # A conference ticket's booking (its time and host) is shown on the ticket's page.
        "tickets.view_conferencebooking",
        "tickets.view_callbackrequest",
        "tickets.view_inboundemail",
        "tickets.change_inboundemail",
        "hub.view_organisation",
        "hub.view_membership",
        "hub.view_enterpriseseat",
        "hub.view_user",
        "routing.view_productarea",
        "chatbot.view_article",
        "chatbot.view_articleversion",
        "chatbot.view_conversation",
        "chatbot.view_turn",
    ],
}
# A supervisor works the queue as an agent does, and also changes the roster.
STAFF_PERMISSIONS[StaffRole.SUPERVISOR] = [
    *STAFF_PERMISSIONS[StaffRole.AGENT],
    "routing.change_agent",
    "routing.add_agentshift",
    "routing.change_agentshift",
    "routing.delete_agentshift",
]


def user_language_set(*, user: User, language: str) -> None:
    """Remember the interface language the user chose (a language we do not offer: nothing)."""
    if language in dict(settings.LANGUAGES) and user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


NAME_MAX_LENGTH = 150


@transaction.atomic
def user_profile_update(
    *, user: User, first_name: str, last_name: str, preferred_language: str, time_zone: str
) -> User:
    """Save the account page: the name, the interface language and the time zone.

    Every value is checked first; one bad value raises ValidationError (keyed by field) and
    nothing is saved.
    """
    first_name, last_name = first_name.strip(), last_name.strip()
    errors: dict[str, str] = {}
    if not first_name:
        errors["first_name"] = _("Enter your first name")
    elif len(first_name) > NAME_MAX_LENGTH:
        errors["first_name"] = _("Your first name must be 150 characters or fewer")
    if len(last_name) > NAME_MAX_LENGTH:
        errors["last_name"] = _("Your last name must be 150 characters or fewer")
    if preferred_language not in dict(settings.LANGUAGES):
        errors["preferred_language"] = _("Choose a language from the list")
    try:
        validate_time_zone(time_zone)
    except ValidationError:
        errors["time_zone"] = _("Choose a time zone from the list")
    if errors:
        raise ValidationError(errors)
    user = User.objects.select_for_update().get(pk=user.pk)
    user.first_name, user.last_name = first_name, last_name
    user.preferred_language, user.time_zone = preferred_language, time_zone
    user.save(update_fields=["first_name", "last_name", "preferred_language", "time_zone"])
    return user


@transaction.atomic
def staff_groups_ensure() -> dict[StaffRole, Group]:
    """Create the staff groups with their permissions (idempotent)."""
    groups = {}
    for role, codes in STAFF_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted: list[Permission] = []
        for code in codes:
            app_label, codename = code.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
        groups[role] = group
    return groups


# --- Sessions --------------------------------------------------------------------------------


def sessions_end(*, sessions: Iterable[UserSession]) -> int:
    """Sign these sessions out: each one's session is ended (its copy on Redis included) and
    its record removed. Removing the record alone would leave its browser signed in."""
    ended = 0
    for user_session in sessions:
        user_session.end()
        ended += 1
    return ended


def sessions_end_others(*, user: User, keep_session_key: str | None) -> int:
    """End every session of the user but the one kept (after a password change or reset)."""
    return sessions_end(
        sessions=UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or "")
    )


# --- Organisation SSO ------------------------------------------------------------------------


def sso_user_for(provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The member the provider vouches for; links a first sign-in, never creates anyone."""
    organisation = provider.organisation
    email = str(claims.get("email") or "").strip()
    subject = str(claims.get("sub") or "")
    domains = organisation_domains(organisation)
    if not email or not subject:
        raise SsoRefused(
            _("Your organisation's sign-in service did not tell us your email address.")
        )
    if email_domain(email) not in domains:
        raise SsoRefused(
            _(
                "You signed in as %(email)s, but %(organisation)s only signs in addresses at "
                "%(domains)s. Sign out of your organisation's sign-in service and use your "
                "work account."
            )
            % {
                "email": email,
                "organisation": organisation.name,
                "domains": ", ".join(sorted(domains)),
            }
        )
    hosted_claim = PRESETS[provider.kind].hosted_domain_claim
    if hosted_claim and str(claims.get(hosted_claim) or "").lower() not in domains:
        raise SsoRefused(
            _(
                "The account %(email)s is not managed by %(organisation)s's Google Workspace. "
                "Sign in with your work account."
            )
            % {"email": email, "organisation": organisation.name}
        )
    if claims.get("email_verified") is False:
        raise SsoRefused(
            _("Your organisation's sign-in service has not verified %(email)s.") % {"email": email}
        )
    no_account = SsoRefused(
        _(
            "There is no Customer Success Hub account for %(email)s in %(organisation)s yet. "
            "Ask one of your brand administrators to invite you."
        )
        % {"email": email, "organisation": organisation.name}
    )
    user = (
        User.objects.select_related("membership")
        .filter(sso_identities__issuer=provider.issuer, sso_identities__subject=subject)
        .first()
    )
    if user is None:
        user = User.objects.select_related("membership").filter(email__iexact=email).first()
        if user is None:
            raise no_account
    membership = getattr(user, "membership", None)
    if not user.is_active or membership is None or membership.organisation_id != organisation.pk:
        raise no_account
    sso_identity_link(user=user, issuer=provider.issuer, subject=subject)
    return user


def sso_identity_link(*, user: User, issuer: str, subject: str) -> SsoIdentity:
    """Link a person at an identity provider to their hub account (or note a new sign-in)."""
    now = timezone.now()
    with transaction.atomic():
        identity = (
            SsoIdentity.objects.select_for_update().filter(issuer=issuer, subject=subject).first()
        )
        if identity is None:
            if SsoIdentity.objects.filter(issuer=issuer, user=user).exists():
                # Another account at the provider already stands for this user: somebody's
                # address was reused there. Staff decide, not the first one to arrive.
                raise SsoRefused(
                    _(
                        "Your hub account is linked to another account at your organisation's "
                        "sign-in service. Contact support to have it moved."
                    )
                )
            identity = SsoIdentity.objects.create(
                user=user, issuer=issuer, subject=subject, last_login_at=now
            )
        elif identity.user_id != user.pk:
            raise SsoRefused(_("This sign-in belongs to another hub account. Contact support."))
        else:
            identity.last_login_at = now
            identity.save(update_fields=["last_login_at"])
    return identity


def _require_brand_admin(by: User, organisation: Organisation) -> None:
    if by.is_staff and by.is_active:
        return
    membership = getattr(by, "membership", None)
    if (
        membership is None
        or membership.organisation_id != organisation.pk
        or not membership.is_brand_admin
    ):
        raise PermissionDenied(_("Only a brand administrator of this organisation may do this."))


def identity_provider_save(
    *,
    organisation: Organisation,
    kind: str,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    is_enabled: bool,
    by: User,
) -> IdentityProvider:
    """Record (or change) the organisation's identity provider, after asking it who it is.

    `client_secret` None keeps the stored one. Raises ValidationError when the provider does
    not answer as an OpenID provider at that address.
    """
    _require_brand_admin(by, organisation)
    preset = PRESETS[kind]
    typed_issuer = preset.issuer or issuer.strip()
    try:
        # Through the module, so a test can stand in for the provider's discovery document.
        confirmed_issuer = sso.issuer_confirm(typed_issuer)
    except SsoError as exc:
        raise ValidationError({"issuer": exc.message}, code="issuer") from exc
    with transaction.atomic():
        provider = (
            IdentityProvider.objects.select_for_update().filter(organisation=organisation).first()
        )
        if provider is None:
            if not client_secret:
                raise ValidationError(
                    {"client_secret": _("Enter the client secret.")}, code="required"
                )
            provider = IdentityProvider(
                organisation=organisation, slug=_unique_provider_slug(organisation)
            )
        provider.kind = kind
        provider.issuer = confirmed_issuer
        provider.client_id = client_id.strip()
        if client_secret:
            provider.client_secret = client_secret
        provider.is_enabled = is_enabled
        provider.updated_by = by
        provider.full_clean()
        provider.save()
    return provider


def _unique_provider_slug(organisation: Organisation) -> str:
    base = slugify(organisation.name)[:50] or "organisation"
    slug, counter = base, 1
    while IdentityProvider.objects.filter(slug=slug).exists():
        counter += 1
        slug = f"{base}-{counter}"
    return slug


# --- Members and roles -----------------------------------------------------------------------


def membership_roles_update(
    *,
    membership: Membership,
    by: User,
    is_brand_admin: bool,
    is_billing_contact: bool,
    is_primary_contact: bool,
) -> Membership:
    """Grant or revoke a member's roles; an organisation always keeps one brand administrator."""
    organisation = membership.organisation
    _require_brand_admin(by, organisation)
    with transaction.atomic():
        # Two administrators revoking each other at once must not leave nobody in charge.
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.is_brand_admin and not is_brand_admin:
            others = (
                Membership.objects.filter(organisation=organisation, is_brand_admin=True)
                .exclude(pk=membership.pk)
                .filter(user__is_active=True)
            )
            if not others.exists():
                raise ValidationError(
                    _(
                        "%(organisation)s needs at least one brand administrator. Make someone "
                        "else a brand administrator first."
                    )
                    % {"organisation": organisation.name},
                    code="last_brand_admin",
                )
        membership.is_brand_admin = is_brand_admin
        membership.is_billing_contact = is_billing_contact
        membership.is_primary_contact = is_primary_contact
        membership.save(
            update_fields=["is_brand_admin", "is_billing_contact", "is_primary_contact"]
        )
    return membership


# --- Invitations -----------------------------------------------------------------------------


def invitation_link(invitation: Invitation) -> str:
    token = signing.dumps(invitation.secret, salt=INVITATION_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[token])


def invitation_create(*, organisation: Organisation, email: str, by: User) -> Invitation:
    """Invite someone to join the organisation; the signed link goes out by email."""
    _require_brand_admin(by, organisation)
    email = User.objects.normalize_email(email.strip())
    existing = User.objects.filter(email__iexact=email).select_related("membership").first()
    if existing is not None:
        membership = getattr(existing, "membership", None)
        if membership is not None and membership.organisation_id == organisation.pk:
            raise ValidationError(
                {
                    "email": _("%(email)s is already a member of %(organisation)s.")
                    % {"email": email, "organisation": organisation.name}
                },
                code="already_member",
            )
        raise ValidationError(
            {
                "email": _(
                    "%(email)s already has a Customer Success Hub account. Contact support to move "
                    "it to %(organisation)s."
                )
                % {"email": email, "organisation": organisation.name}
            },
            code="account_exists",
        )
    provider = identity_provider_for_login(email)
    own_sso = IdentityProvider.objects.filter(organisation=organisation, is_enabled=True).exists()
    domain = email.rpartition("@")[2].lower()
    if (provider is not None and provider.organisation_id != organisation.pk) or (
        own_sso and domain not in organisation_domains(organisation)
    ):
        # They could never sign in: SSO only lets in addresses of the organisation's domains.
        raise ValidationError(
            {
                "email": _(
                    "%(organisation)s signs in with single sign-on, which accepts only "
                    "addresses at %(domains)s."
                )
                % {
                    "organisation": organisation.name,
                    "domains": ", ".join(sorted(organisation_domains(organisation))) or "—",
                }
            },
            code="domain",
        )
    now = timezone.now()
    with transaction.atomic():
        # A new invitation replaces an open one: only the latest link works.
        Invitation.objects.select_for_update().filter(
            email__iexact=email, accepted_at__isnull=True, cancelled_at__isnull=True
        ).filter(organisation=organisation).update(cancelled_at=now)
        if Invitation.objects.filter(
            email__iexact=email, accepted_at__isnull=True, cancelled_at__isnull=True
        ).exists():
            raise ValidationError(
                {
                    "email": _("%(email)s has been invited by another organisation.")
                    % {"email": email}
                },
                code="invited_elsewhere",
            )
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            secret=secrets.token_urlsafe(32),
            invited_by=by,
            expires_at=now + datetime.timedelta(seconds=settings.HUB_INVITATION_MAX_AGE),
        )
        context = {
            "invitation": invitation,
            "organisation": organisation,
            "invited_by": by,
            "link": invitation_link(invitation),
            "expires_at": invitation.expires_at,
        }
        subject = " ".join(
            render_to_string("hub/members/email/invitation_subject.txt", context).split()
        )
        body = render_to_string("hub/members/email/invitation_message.txt", context)
        outbound_email_queue(
            EmailMessage(subject=subject, body=body, to=[email]), purpose="invitation"
        )
    return invitation


def invitation_cancel(*, invitation: Invitation, by: User) -> None:
    _require_brand_admin(by, invitation.organisation)
    Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=timezone.now())


def invitation_accept(
    *, invitation: Invitation, first_name: str, last_name: str, password: str | None
) -> User:
    """Create the invited person's account and membership; the link then stops working.

    `password` None makes an account without a password: its organisation signs in with SSO.
    """
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_usable(now=now):
            raise ValidationError(
                _("This invitation has already been used, cancelled or has expired."),
                code="invitation_used",
            )
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(
                _("There is already an account for %(email)s.") % {"email": invitation.email},
                code="account_exists",
            )
        user = User(
            username=invitation.email,
            email=invitation.email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        if password is None:
            user.set_unusable_password()
        else:
            password_validation.validate_password(password, user)
            user.set_password(password)
        user.save()
        Membership.objects.create(user=user, organisation=invitation.organisation)
        invitation.accepted_at = now
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
    return user


# --- Enterprise Support seats (R-SEATS) ------------------------------------------------------


def _seats_in_use(organisation: Organisation) -> int:
    return EnterpriseSeat.objects.filter(organisation=organisation).count()


def seat_assign(*, organisation: Organisation, user: User, by: User) -> EnterpriseSeat:
    """Give a member an Enterprise Support seat, never more than 5 per Success Package.

    The organisation's row is locked first, so two administrators pressing at the same moment
    are served one after the other and the second sees the first one's seat.
    """
    _require_brand_admin(by, organisation)
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        membership = Membership.objects.filter(user=user, organisation=organisation).first()
        if membership is None or not user.is_active:
            raise ValidationError(
                _("%(user)s is not a member of %(organisation)s.")
                % {"user": user, "organisation": organisation.name},
                code="not_member",
            )
        if EnterpriseSeat.objects.filter(user=user).exists():
            raise ValidationError(
                _("%(user)s already holds an Enterprise Support seat.") % {"user": user},
                code="already_seated",
            )
        capacity = organisation.seat_capacity
        if _seats_in_use(organisation) >= capacity:
            if capacity == 0:
                message = _(
                    "%(organisation)s has no Success Package, so it has no Enterprise Support "
                    "seats. Ask your account team about adding one."
                ) % {"organisation": organisation.name}
            else:
                message = _(
                    "All %(capacity)s Enterprise Support seats are in use. Release a seat "
                    "first, or ask your account team for another Success Package."
                ) % {"capacity": capacity}
            raise ValidationError(message, code="seats_full")
        return EnterpriseSeat.objects.create(organisation=organisation, user=user, assigned_by=by)


def seat_release(*, organisation: Organisation, user: User, by: User) -> None:
    """Take the member's seat back, so it can be given to someone else."""
    _require_brand_admin(by, organisation)
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        deleted, _count = EnterpriseSeat.objects.filter(
            organisation=organisation, user=user
        ).delete()
        if not deleted:
            raise ValidationError(
                _("%(user)s does not hold a seat.") % {"user": user}, code="no_seat"
            )
