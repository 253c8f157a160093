from __future__ import annotations

from typing import Any

# Registers allauth's admin of its sessions now, before autodiscovery would, so that the one
# at the end of this module can replace it.
import allauth.usersessions.admin  # noqa: F401
from allauth.account.decorators import secure_admin_login
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hub.accounts.http import signed_in_user
from hub.accounts.models import (
    EnterpriseSeat,
    IdentityProvider,
    Invitation,
    Membership,
    Organisation,
    OrganisationDomain,
    OutboundEmail,
    SignedInSession,
    SsoIdentity,
    User,
)
from hub.accounts.moments import moment_words
from hub.accounts.outbox import (
    outbound_email_retry,
    outbox_purpose_choices,
    outbox_purpose_name,
)
from hub.accounts.services import _unique_provider_slug, sessions_end
from hub.accounts.sso import PRESETS, SsoError, issuer_confirm


class OrganisationDomainInline(admin.TabularInline[OrganisationDomain, Organisation]):
    model = OrganisationDomain
    extra = 0


class MembershipInline(admin.TabularInline[Membership, Organisation]):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "is_brand_admin", "is_billing_contact", "is_primary_contact"]


class EnterpriseSeatInline(admin.TabularInline[EnterpriseSeat, Organisation]):
    model = EnterpriseSeat
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "assigned_by", "assigned_at"]
    readonly_fields = ["assigned_by", "assigned_at"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = [
        "name",
        "licence_tier",
        "environment",
        "success_packages",
        "technical_success_manager",
    ]
    list_select_related = ["technical_success_manager"]
    list_filter = ["licence_tier", "environment"]
    search_fields = ["name", "domains__domain"]
    inlines = [OrganisationDomainInline, MembershipInline, EnterpriseSeatInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = ["email", "first_name", "last_name", "is_staff", "preferred_language"]
    search_fields = ["email", "username", "first_name", "last_name"]
    ordering = ["email"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Preferences"), {"fields": ("preferred_language", "time_zone")}),
    )


# --- Sign-in: identity providers, SSO links, invitations ---------------------------

# Every sign-in goes through the hub's own sign-in page: rate limited, SSO and FedRAMP aware.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


class IdentityProviderAdminForm(forms.ModelForm[IdentityProvider]):
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Write-only. Leave empty to keep the stored secret."),
    )

    class Meta:
        model = IdentityProvider
        fields = ["kind", "issuer", "client_id", "client_secret", "is_enabled"]

    def clean_client_secret(self) -> str:
        secret = self.cleaned_data.get("client_secret") or ""
        if not secret and self.instance.pk:
            return self.instance.client_secret
        if not secret:
            raise forms.ValidationError(_("Enter the client secret."))
        return secret

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind:
            preset = PRESETS[str(kind)]
            issuer = preset.issuer or str(cleaned.get("issuer") or "")
            if not issuer:
                self.add_error("issuer", _("Enter the issuer URL of the provider."))
                return cleaned
            try:
                cleaned["issuer"] = issuer_confirm(issuer)
            except SsoError as exc:
                self.add_error("issuer", str(exc.message))
        return cleaned


class IdentityProviderInline(admin.StackedInline[IdentityProvider, Organisation]):
    model = IdentityProvider
    form = IdentityProviderAdminForm
    extra = 0
    max_num = 1
    fields = ["kind", "issuer", "client_id", "client_secret", "is_enabled", "slug"]
    readonly_fields = ["slug"]


OrganisationAdmin.inlines = [*OrganisationAdmin.inlines, IdentityProviderInline]


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin[IdentityProvider]):
    form = IdentityProviderAdminForm
    list_display = ["organisation", "kind", "issuer", "is_enabled", "updated_at"]
    list_filter = ["kind", "is_enabled"]
    search_fields = ["organisation__name", "issuer", "client_id"]
    autocomplete_fields = ["organisation"]
    fields = ["organisation", "kind", "issuer", "client_id", "client_secret", "is_enabled", "slug"]
    readonly_fields = ["slug"]

    def save_model(
        self,
        request: HttpRequest,
        obj: IdentityProvider,
        form: forms.ModelForm[IdentityProvider],
        change: bool,
    ) -> None:
        obj.updated_by = signed_in_user(request)
        if not obj.slug:
            obj.slug = _unique_provider_slug(obj.organisation)
        super().save_model(request, obj, form, change)


@admin.register(SsoIdentity)
class SsoIdentityAdmin(admin.ModelAdmin[SsoIdentity]):
    """Staff unlink a person here when their provider account was replaced."""

    list_display = ["user", "issuer", "subject", "linked_at", "last_login_at"]
    search_fields = ["user__email", "subject", "issuer"]
    readonly_fields = ["user", "issuer", "subject", "linked_at", "last_login_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin[Invitation]):
    list_display = [
        "email",
        "organisation",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "cancelled_at",
    ]
    list_filter = ["organisation"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = [
        "organisation",
        "email",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "user",
    ]
    fields = [*readonly_fields, "cancelled_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Invitations are sent from the organisation's members page, which emails the link.
        return False


class OutboundEmailState(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("pending", _("Waiting to be sent")),
            ("sent", _("Sent")),
            ("parked", _("Given up")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboundEmail]
    ) -> QuerySet[OutboundEmail]:
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True, parked_at__isnull=True)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "parked":
            return queryset.filter(parked_at__isnull=False)
        return queryset


class OutboundEmailPurpose(admin.SimpleListFilter):
    title = _("purpose")
    parameter_name = "purpose"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # Every named purpose, as the hub knows them: asking the outbox for the purposes it
        # holds (Django's filter of the field) read the whole table on every page.
        return outbox_purpose_choices()

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OutboundEmail]
    ) -> QuerySet[OutboundEmail]:
        if self.value():
            return queryset.filter(purpose=self.value())
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin[OutboundEmail]):
    """What the hub sent, what waits, and what it gave up on, with the error."""

    # Sent, waiting or given up, and when, in one column: with a column for each time and the
    # attempts, the list ran past the right edge of a 1,280-pixel screen beside the menu.
    list_display = ("subject", "purpose_name", "recipients", "state")
    list_filter = (OutboundEmailState, OutboundEmailPurpose)
    search_fields = ("subject", "message_id")
    date_hierarchy = "created_at"
    actions = ["send_again"]
    # Every field as it is stored, but the purpose by its name.
    fields = readonly_fields = tuple(
        "purpose_name" if field.name == "purpose" else field.name
        for field in OutboundEmail._meta.fields
        if field.name != "id"
    )

    @admin.display(description=_("purpose"), ordering="purpose")
    def purpose_name(self, obj: OutboundEmail) -> str:
        return outbox_purpose_name(obj.purpose)

    @admin.display(description=_("to"))
    def recipients(self, obj: OutboundEmail) -> str:
        return ", ".join(obj.to)

    @admin.display(description=_("state"), ordering="created_at")
    def state(self, obj: OutboundEmail) -> str:
        if obj.sent_at is not None:
            return _("Sent %(when)s") % {"when": moment_words(obj.sent_at, "short time")}
        if obj.parked_at is not None:
            return ngettext(
                "Given up %(when)s, after %(count)d attempt",
                "Given up %(when)s, after %(count)d attempts",
                obj.attempts,
            ) % {"when": moment_words(obj.parked_at, "short time"), "count": obj.attempts}
        written = moment_words(obj.created_at, "short time")
        if obj.attempts:
            return ngettext(
                "Waiting since %(when)s, %(count)d failed attempt",
                "Waiting since %(when)s, %(count)d failed attempts",
                obj.attempts,
            ) % {"when": written, "count": obj.attempts}
        return _("Waiting since %(when)s") % {"when": written}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the selected emails again"), permissions=["view"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        again = [email for email in queryset if email.sent_at is None]
        for email in again:
            outbound_email_retry(email=email)
        self.message_user(
            request,
            ngettext(
                "%(count)d email will be sent again.",
                "%(count)d emails will be sent again.",
                len(again),
            )
            % {"count": len(again)},
        )


# allauth's own admin of these sessions names nothing in the staff's language, and deleting a
# session there removes its record but leaves its browser signed in.
admin.site.unregister(UserSession)


@admin.register(SignedInSession)
class SignedInSessionAdmin(admin.ModelAdmin[SignedInSession]):
    """Who is signed in, where and since when. Deleting a session signs it out."""

    list_display = ["person", "signed_in", "last_seen", "address", "device"]
    list_select_related = ["user"]
    search_fields = ["user__email", "ip"]
    ordering = ["-last_seen_at"]
    fields = readonly_fields = ("person", "signed_in", "last_seen", "address", "device")

    @admin.display(description=_("user"), ordering="user__email")
    def person(self, obj: SignedInSession) -> str:
        return str(obj.user.email)

    @admin.display(description=_("Signed in"), ordering="created_at")
    def signed_in(self, obj: SignedInSession) -> str:
        return moment_words(obj.created_at, "year short time")

    @admin.display(description=_("Last seen"), ordering="last_seen_at")
    def last_seen(self, obj: SignedInSession) -> str:
        return moment_words(obj.last_seen_at, "year short time")

    @admin.display(description=_("Address"), ordering="ip")
    def address(self, obj: SignedInSession) -> str:
        return str(obj.ip)

    @admin.display(description=_("Device"))
    def device(self, obj: SignedInSession) -> str:
        return str(obj.user_agent)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: SignedInSession) -> None:
        sessions_end(sessions=[obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SignedInSession]) -> None:
        sessions_end(sessions=queryset)
