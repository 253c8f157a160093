"""Organisations, their users and roles, and Enterprise Support seats (R-ORG, R-ROLES, R-SEATS)."""

from __future__ import annotations

import datetime
import zoneinfo
from functools import cache

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

SEATS_PER_SUCCESS_PACKAGE = 5


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _known_time_zones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class LicenceTier(models.TextChoices):
    SELF_SERVICE = "self_service", _("Self-service")
    STANDARD = "standard", _("Standard")
    ENTERPRISE = "enterprise", _("Enterprise")


class Environment(models.TextChoices):
    COMMERCIAL = "commercial", _("Commercial")
    FEDRAMP = "fedramp", _("FedRAMP")


class StaffRole(models.TextChoices):
    """Staff are not organisation members; their role is a Django group of this name."""

    AGENT = "Support agents", _("Support agent")
    TSM = "Technical Success Managers", _("Technical Success Manager")
    # Agents who also plan the roster: the staffing planner is theirs.
    SUPERVISOR = "Support supervisors", _("Support supervisor")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    licence_tier = models.CharField(
        _("licence tier"), max_length=20, choices=LicenceTier.choices, default=LicenceTier.STANDARD
    )
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.COMMERCIAL
    )
    success_packages = models.PositiveSmallIntegerField(_("Success Packages"), default=0)
    account_team_name = models.CharField(_("account team"), max_length=200, blank=True)
    account_team_email = models.EmailField(_("account team email"), blank=True)
    account_team_phone = models.CharField(_("account team phone"), max_length=40, blank=True)
    # Which Technical Success Manager serves the organisation's Success Packages: the
    # "Your services" page names them and their Success Checks are assigned to them.
    technical_success_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="success_organisations",
        verbose_name=_("Technical Success Manager"),
        limit_choices_to={"is_staff": True, "groups__name": StaffRole.TSM.value},
        help_text=_("The member of staff who serves this organisation’s Success Packages."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(success_packages=0)
                | models.Q(licence_tier=LicenceTier.ENTERPRISE),
                name="success_packages_need_enterprise_licence",
                violation_error_message=_("Only an Enterprise licence can hold Success Packages."),
            ),
            models.CheckConstraint(
                condition=models.Q(licence_tier__in=LicenceTier.values),
                name="organisation_licence_tier_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(environment__in=Environment.values),
                name="organisation_environment_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_fedramp(self) -> bool:
        return self.environment == Environment.FEDRAMP

    @property
    def seat_capacity(self) -> int:
        return self.success_packages * SEATS_PER_SUCCESS_PACKAGE


class OrganisationDomain(models.Model):
    """An email domain that belongs to one organisation; SSO discovery looks it up."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="domains",
        verbose_name=_("organisation"),
    )
    domain = models.CharField(_("domain"), max_length=253)

    class Meta:
        verbose_name = _("email domain")
        verbose_name_plural = _("email domains")
        constraints = [
            models.UniqueConstraint(Lower("domain"), name="organisation_domain_unique_ci"),
            models.CheckConstraint(
                condition=~models.Q(domain__contains="@") & ~models.Q(domain=""),
                name="organisation_domain_is_a_domain",
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class User(AbstractUser):
    email = models.EmailField(_("email address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=settings.DEFAULT_USER_TIME_ZONE,
        validators=[validate_time_zone],
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Membership(models.Model):
    """A user's place in their organisation. Without any role flag they are a standard user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    is_brand_admin = models.BooleanField(_("brand administrator"), default=False)
    is_billing_contact = models.BooleanField(_("billing contact"), default=False)
    is_primary_contact = models.BooleanField(_("primary contact"), default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    @property
    def is_standard_user(self) -> bool:
        return not (self.is_brand_admin or self.is_billing_contact or self.is_primary_contact)

    def role_labels(self) -> list[str]:
        labels = []
        if self.is_brand_admin:
            labels.append(str(_("Brand administrator")))
        if self.is_billing_contact:
            labels.append(str(_("Billing contact")))
        if self.is_primary_contact:
            labels.append(str(_("Primary contact")))
        return labels or [str(_("Standard user"))]


class EnterpriseSeat(models.Model):
    """An Enterprise Support seat held by one member (R-SEATS: five per Success Package)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="seats", verbose_name=_("organisation")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enterprise_seat",
        verbose_name=_("holder"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Enterprise Support seat")
        verbose_name_plural = _("Enterprise Support seats")

    def __str__(self) -> str:
        return f"{self.user} ({self.organisation})"


# --- Sign-in: organisation SSO and invitations (R-LOGIN) -------------------------------------


class IdentityProviderKind(models.TextChoices):
    GOOGLE = "google", _("Google Workspace")
    OKTA = "okta", _("Okta")
    OIDC = "oidc", _("Another OpenID Connect provider")


class IdentityProvider(models.Model):
    """An organisation's own OpenID Connect provider: its members sign in there, not here."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="identity_provider",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(
        _("provider"),
        max_length=20,
        choices=IdentityProviderKind.choices,
        default=IdentityProviderKind.OIDC,
    )
    # Part of the return address registered at the provider: /accounts/sso/<slug>/callback/.
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    issuer = models.URLField(_("issuer URL"), max_length=500)
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret = models.CharField(_("client secret"), max_length=500)
    is_enabled = models.BooleanField(_("members sign in with SSO"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=IdentityProviderKind.values),
                name="identity_provider_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_kind_display()}"


class SsoIdentity(models.Model):
    """A person at an identity provider (issuer + subject) linked to their hub account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sso_identities",
        verbose_name=_("user"),
    )
    issuer = models.CharField(_("issuer"), max_length=500)
    subject = models.CharField(_("subject"), max_length=255)
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("SSO identity")
        verbose_name_plural = _("SSO identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique"),
            models.UniqueConstraint(fields=["issuer", "user"], name="sso_identity_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.issuer})"


class Invitation(models.Model):
    """An invitation to join an organisation, sent by a brand administrator.

    The emailed link is signed and expires (HUB_INVITATION_MAX_AGE); this row makes it
    single-use and lets the administrator cancel it.
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("email address"))
    secret = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account created"),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, cancelled_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def is_settled(self) -> bool:
        return self.accepted_at is not None or self.cancelled_at is not None

    def is_usable(self, *, now: datetime.datetime) -> bool:
        return not self.is_settled and now < self.expires_at


# --- The outbox: every email is a row before it is sent ------------------------------------


class OutboundEmail(models.Model):
    """One email, written in the transaction of the change it tells about and sent from
    there by a task; the sweeper sends what the broker lost and parks what keeps failing.

    ``message_id`` is fixed when the row is written, so a message sent again after a crash
    (sent, then killed before it was marked sent) is recognisably the same message."""

    purpose = models.CharField(_("purpose"), max_length=40)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    from_email = models.CharField(_("from"), max_length=320)
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    parked_at = models.DateTimeField(
        _("given up"),
        null=True,
        blank=True,
        help_text=_("Stopped after repeated failures; an operator may send it again."),
    )

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True, parked_at__isnull=True),
                name="outbound_email_unsent",
            ),
            # /healthz and the metrics count parked emails on every probe and scrape.
            models.Index(
                fields=["parked_at"],
                condition=models.Q(parked_at__isnull=False),
                name="outbound_email_parked",
            ),
        ]

    def __str__(self) -> str:
        # The purpose is a code; the admin shows it by name beside the subject.
        return self.subject

    @property
    def is_pending(self) -> bool:
        return self.sent_at is None and self.parked_at is None


class SignedInSession(UserSession):  # type: ignore[misc]  # allauth is untyped
    """allauth's record of a session someone signed in to (where, from which browser, when
    last seen), under names the staff read in their language: allauth gives its model none."""

    class Meta:
        proxy = True
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"{self.user.email}, {self.ip}"


class SessionCacheEpoch(models.Model):
    """The generation of the sessions' copies on Redis (``hub.sessions``); one row.

    A session saved or ended while Redis could not be told leaves a stale copy there. Such a
    change moves the generation on, and copies of an older generation are never believed."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)
