"""Forms of sign-in and of the brand administrator's pages."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from hub.accounts.models import Environment, IdentityProviderKind, Membership, Organisation, User
from hub.accounts.selectors import identity_provider_of_user, members_without_seat
from hub.accounts.sso import PRESETS

LOGIN_LABEL = _("Email address or username")


class IdentifierForm(forms.Form):
    """The first question of sign-in: who are you? (SSO organisations are found from it.)"""

    login = forms.CharField(
        label=LOGIN_LABEL,
        help_text=_(
            "If your organisation uses single sign-on, we will take you to its sign-in page."
        ),
        max_length=254,
        error_messages={"required": _("Enter your email address or username")},
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )

    def clean_login(self) -> str:
        return str(self.cleaned_data["login"]).strip()


class PasswordLoginForm(LoginForm):  # type: ignore[misc]
    """allauth's sign-in (rate limits, one password hash, session rotation) plus the hub's
    rules about who signs in where, checked only once the password is right, so that a wrong
    password never learns anything about the account."""

    # Set when a right password was refused because this is not the user's entrance.
    other_entrance_url: str | None = None

    def __init__(self, *args: Any, environment: str, **kwargs: Any) -> None:
        self.environment = environment
        super().__init__(*args, **kwargs)
        self.fields["login"].label = LOGIN_LABEL
        self.fields["login"].error_messages["required"] = _("Enter your email address or username")
        self.fields["login"].widget.attrs.update({"autocomplete": "username"})
        self.fields["login"].widget.attrs.pop("placeholder", None)
        password = self.fields["password"]
        password.label = _("Password")
        password.help_text = ""
        password.error_messages["required"] = _("Enter your password")
        password.widget.attrs.pop("placeholder", None)

    def clean(self) -> dict[str, Any]:
        try:
            cleaned: dict[str, Any] = super().clean()
        except ValidationError as exc:
            # Next to the password, where the error summary's link takes the user.
            self.add_error("password", exc)
            kept: dict[str, Any] = self.cleaned_data
            return kept
        user: User | None = self.user
        if user is None or self._errors:
            return cleaned
        membership: Membership | None = getattr(user, "membership", None)
        user_environment = membership.organisation.environment if membership else None
        if self.environment == Environment.FEDRAMP and user_environment != Environment.FEDRAMP:
            self.other_entrance_url = reverse("account_login")
            raise ValidationError(
                _(
                    "This sign-in page is only for organisations in the FedRAMP environment. "
                    "Your account signs in on the standard sign-in page."
                ),
                code="wrong_entrance",
            )
        if self.environment != Environment.FEDRAMP and user_environment == Environment.FEDRAMP:
            self.other_entrance_url = reverse("fedramp_login")
            raise ValidationError(
                _(
                    "Your organisation works in the FedRAMP environment, which has its own "
                    "sign-in page. Sign in there."
                ),
                code="wrong_entrance",
            )
        if membership is not None:
            provider = identity_provider_of_user(user)
            if provider is not None:
                raise ValidationError(
                    _(
                        "%(organisation)s signs in with single sign-on, not with a password "
                        "here. Start again with your work email address and we will take you "
                        "to your organisation's sign-in page."
                    )
                    % {"organisation": provider.organisation.name},
                    code="sso_required",
                )
        return cleaned


class InvitationAcceptForm(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        error_messages={"required": _("Enter your first name")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        error_messages={"required": _("Enter your last name")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(
        label=_("Create a password"),
        help_text=_("At least 12 characters. Avoid common words and your own name."),
        strip=False,
        error_messages={"required": _("Enter a password")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        error_messages={"required": _("Type the password again")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, needs_password: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        if not needs_password:
            del self.fields["password1"]
            del self.fields["password2"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if "password1" in self.fields and first:
            if second and first != second:
                self.add_error("password2", _("The two passwords are not the same"))
            candidate = User(
                username=self.email,
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We will send them a link to create their account. It works for 7 days."),
        max_length=254,
        error_messages={
            "required": _("Enter the email address of the person to invite"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class MemberRolesForm(forms.Form):
    is_brand_admin = forms.BooleanField(
        label=_("Brand administrator"),
        help_text=_("Manages members, roles and Enterprise Support seats, and sees every ticket."),
        required=False,
    )
    is_billing_contact = forms.BooleanField(
        label=_("Billing contact"),
        help_text=_("Asks Account Services about invoices, payments and renewals."),
        required=False,
    )
    is_primary_contact = forms.BooleanField(
        label=_("Primary contact"),
        help_text=_("The person the account team speaks to first."),
        required=False,
    )


class MemberChoiceField(forms.ModelChoiceField[Membership]):
    def label_from_instance(self, obj: Membership) -> str:
        name = obj.user.get_full_name()
        return f"{name} ({obj.user.email})" if name else obj.user.email


class SeatAssignForm(forms.Form):
    member = MemberChoiceField(
        label=_("Member"),
        queryset=Membership.objects.none(),
        empty_label=_("Choose a member"),
        error_messages={"required": _("Choose the member who gets the seat")},
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        assert isinstance(member, MemberChoiceField)
        member.queryset = members_without_seat(organisation)


class IdentityProviderForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Which identity provider does your organisation use?"),
        choices=IdentityProviderKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose your identity provider")},
    )
    issuer = forms.URLField(
        label=_("Issuer URL"),
        help_text=str(PRESETS[IdentityProviderKind.OIDC].issuer_hint),
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": _("Enter the issuer as a full address starting https://")},
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    client_id = forms.CharField(
        label=_("Client ID"),
        max_length=255,
        error_messages={"required": _("Enter the client ID")},
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    is_enabled = forms.BooleanField(
        label=_("Members sign in with single sign-on"),
        help_text=_(
            "When this is on, members of your organisation can no longer sign in with a "
            "password here."
        ),
        required=False,
    )

    def __init__(self, *args: Any, has_secret: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        self.fields["client_secret"].help_text = (
            _("A secret is stored. Leave this empty to keep it.")
            if has_secret
            else _("Shown once by your provider when you create the client.")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind and not PRESETS[kind].issuer and not cleaned.get("issuer"):
            self.add_error("issuer", _("Enter the issuer URL of your provider"))
        if not self.has_secret and not cleaned.get("client_secret"):
            self.add_error("client_secret", _("Enter the client secret"))
        return cleaned


# --- The user's own account page -------------------------------------------------------------

# Not places: fixed offsets, POSIX rules and the build's own files (Etc/GMT+5 is UTC-5).
_NOT_PLACES = ("Etc/", "SystemV/", "posix", "right/", "Factory", "localtime")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone a person lives in, by name (the names browsers report through Intl)."""
    zones = sorted(
        zone
        for zone in zoneinfo.available_timezones()
        if "/" in zone and not zone.startswith(_NOT_PLACES)
    )
    return [("UTC", "UTC"), *((zone, zone.replace("_", " ")) for zone in zones)]


def interface_language_choices() -> list[tuple[str, str]]:
    """The interface languages, each named in itself (as the footer's switcher names them)."""
    return [
        (code, capfirst(get_language_info(code)["name_local"]))
        for code, _name in settings.LANGUAGES
    ]


class ProfileForm(forms.Form):
    """The account page: the user's name, interface language and time zone."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        error_messages={
            "required": _("Enter your first name"),
            "max_length": _("Your first name must be 150 characters or fewer"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "given-name", "spellcheck": "false"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        required=False,
        error_messages={"max_length": _("Your last name must be 150 characters or fewer")},
        widget=forms.TextInput(attrs={"autocomplete": "family-name", "spellcheck": "false"}),
    )
    preferred_language = forms.ChoiceField(
        label=_("Language of the hub"),
        choices=interface_language_choices,
        help_text=_("Pages and the emails we send you are in this language."),
        error_messages={
            "required": _("Choose a language from the list"),
            "invalid_choice": _("Choose a language from the list"),
        },
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_(
            "Times in the hub and in our emails are shown in this zone. Choose the place "
            "whose time you keep, for example Europe/Rome."
        ),
        error_messages={
            "required": _("Choose a time zone from the list"),
            "invalid_choice": _("Choose a time zone from the list"),
        },
        widget=forms.Select(attrs={"data-time-zone-select": ""}),
    )
