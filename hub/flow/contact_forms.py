"""The contact forms of the hub flow: chat, email, phone callback, conference call.

Each form carries a hidden idempotency key made when the page is drawn: the ticket
services answer a second submission with the same key with the first ticket, so a double
click or a retried POST makes one ticket.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
from babel import Locale, UnknownLocaleError
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers.geodata.locale import LOCALE_DATA

from hub.accounts.models import User
from routing.languages import support_language_choices
from routing.models import ProductArea
from routing.selectors import product_areas_active
from tickets.idempotency import is_idempotency_key, new_idempotency_key
from tickets.models import ATTACHMENT_MAX_FILES, CHAT_MESSAGE_MAX_CHARS
from tickets.phones import phone_number_display
from tickets.services import AttachmentRejected, attachment_content_type

SLOT_FORMAT = "%Y-%m-%dT%H:%MZ"
# How far ahead the conference page offers slots, and so how far ahead one may be booked.
CONFERENCE_HORIZON = timedelta(days=14)
# What people type in a phone number: digits, spaces, brackets, dashes, dots, slashes and a
# leading + (or 00, which phonenumbers reads as the international prefix).
PHONE_CHARACTERS = re.compile(r"^\+?[0-9\s().\-/]+$")
EXTENSION = re.compile(r"^[0-9]{1,10}$")
SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000
# The country a language most often calls from, when the time zone does not say.
LANGUAGE_COUNTRY = {
    "en": "GB",
    "it": "IT",
    "fr": "FR",
    "de": "DE",
    "es": "ES",
    "pt": "PT",
    "nl": "NL",
    "ja": "JP",
}
FALLBACK_COUNTRY = "GB"


def slot_value(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(SLOT_FORMAT)


# --- Countries ---------------------------------------------------------------------------


@lru_cache(maxsize=16)
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Every region phonenumbers knows, as “Italy (+39)”, sorted by name in ``language``."""
    choices = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        name = _region_name(region, language)
        code = phonenumbers.country_code_for_region(region)
        choices.append((region, f"{name} (+{code})"))
    return tuple(sorted(choices, key=lambda choice: choice[1].casefold()))


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """Time zone → country, from the system's zone.tab (empty when it is not installed)."""
    for folder in zoneinfo.TZPATH:
        table = Path(folder) / "zone.tab"
        if table.exists():
            countries = {}
            for line in table.read_text(encoding="utf-8").splitlines():
                if line and not line.startswith("#"):
                    parts = line.split("\t")
                    if len(parts) >= 3:
                        countries[parts[2]] = parts[0]
            return countries
    return {}


def default_country(user: User) -> str:
    """The country the user most likely calls from: their time zone's, their language's, GB."""
    country = _zone_countries().get(user.time_zone or "")
    if country in phonenumbers.SUPPORTED_REGIONS:
        return country
    return LANGUAGE_COUNTRY.get(user.preferred_language or "", FALLBACK_COUNTRY)


def _region_name(region: str, language: str) -> str:
    """The region's name in ``language``: CLDR's (Babel), which names every region
    phonenumbers knows (Ascension Island, Tristan da Cunha, Kosovo), else phonenumbers' own."""
    try:
        name = Locale.parse(language).territories.get(region)
    except (UnknownLocaleError, ValueError):
        name = None
    if name:
        return str(name)
    names = LOCALE_DATA.get(region, {})
    for wanted in (language, "en"):
        found = str(names.get(wanted) or "")
        if found.startswith("*"):
            found = str(names.get(found[1:]) or "")
        if found:
            return found
    return region


def country_name(region: str) -> str:
    return _region_name(region, (get_language() or settings.LANGUAGE_CODE).split("-")[0])


def phone_number_parse(number: str, country: str) -> phonenumbers.PhoneNumber:
    """A valid number for ``country`` (or for the +code typed); ValidationError otherwise."""
    if not PHONE_CHARACTERS.match(number):
        raise ValidationError(
            _(
                "Enter a phone number using only digits, spaces, brackets and dashes, with "
                "a + before the country code if you type one."
            ),
            code="characters",
        )
    try:
        parsed = phonenumbers.parse(number, country)
    except NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        example = phonenumbers.example_number_for_type(country, PhoneNumberType.FIXED_LINE)
        if example is None:
            raise ValidationError(
                _("Enter a valid phone number for %(country)s."),
                code="invalid",
                params={"country": country_name(country)},
            )
        raise ValidationError(
            _("Enter a valid phone number for %(country)s, like %(example)s."),
            code="invalid",
            params={
                "country": country_name(country),
                "example": phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL),
            },
        )
    return parsed


# --- Fields ------------------------------------------------------------------------------


class CountrySelect(forms.Select):
    """The country drop-down of a phone number. Each option carries its calling code, and
    the main country of a code shared by several is marked, so that contact.js can put the
    code into the number box and find the country of a code typed by hand."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"data-phone-country": True, **(attrs or {})})

    def create_option(
        self,
        name: str,
        value: Any,
        label: int | str,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            code = phonenumbers.country_code_for_region(str(value))
            option["attrs"]["data-calling-code"] = str(code)
            if phonenumbers.region_code_for_country_code(code) == value:
                option["attrs"]["data-main-country"] = True
        return option


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to ATTACHMENT_MAX_FILES files, each checked by extension *and* content."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(uploads) > ATTACHMENT_MAX_FILES:
            raise ValidationError(
                _("Choose at most %(count)d files."),
                code="too_many",
                params={"count": ATTACHMENT_MAX_FILES},
            )
        cleaned: list[UploadedFile[bytes]] = []
        errors: list[ValidationError] = []
        for upload in uploads:
            checked = super().clean(upload, initial)
            if not checked:
                continue
            try:
                attachment_content_type(name=checked.name or "", upload=checked)
            except AttachmentRejected as error:
                errors.append(error)
            cleaned.append(checked)
        if errors:
            raise ValidationError(errors)
        return cleaned


class AreaChoiceField(forms.ChoiceField):
    """A product area chosen by its address name, among areas the view has already read (the
    view needs them for its own area too: one reading serves both)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.areas: dict[str, ProductArea] = {}

    def areas_set(self, areas: Sequence[ProductArea]) -> None:
        self.areas = {area.slug: area for area in areas}
        self.choices = [(area.slug, str(area.localized_name)) for area in areas]

    def clean(self, value: Any) -> ProductArea:
        return self.areas[super().clean(value)]


def _with_values(data: Mapping[str, Any], **values: str) -> Mapping[str, Any]:
    """The bound data with some values replaced, for the page shown again."""
    changed = data.copy() if isinstance(data, QueryDict) else dict(data)
    for name, value in values.items():
        changed[name] = value
    return changed


# --- The phone number's fields and checks, shared by the callback form and its change form -


def _country_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Country"),
        widget=CountrySelect,
        help_text=_("This fills in the calling code. You can also type the code with a +."),
        error_messages={
            "required": _("Choose the country of the phone number"),
            "invalid_choice": _("Choose a country from the list"),
        },
    )


def _number_field() -> forms.CharField:
    return forms.CharField(
        label=_("Phone number"),
        max_length=40,
        help_text=_("For example 020 7946 0000, or +39 06 1234 5678."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        error_messages={
            "required": _("Enter the phone number we should call"),
            "max_length": _("Phone number must be %(limit_value)d characters or fewer"),
        },
    )


def _extension_field() -> forms.CharField:
    return forms.CharField(
        label=_("Extension (optional)"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"max_length": _("Extension must be 10 digits or fewer")},
    )


class ReadyChoices(BaseChoiceIterator):
    """Choices already as (value, label) pairs. A field and its widget take them as they
    are: a plain list of some 250 countries is checked pair by pair on every form made."""

    def __init__(self, choices: tuple[tuple[str, str], ...]) -> None:
        self.choices = choices

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)


def _countries_set(form: forms.Form, language: str | None) -> None:
    country_field = form.fields["country"]
    assert isinstance(country_field, forms.ChoiceField)
    country_field.choices = ReadyChoices(
        country_choices((language or get_language() or settings.LANGUAGE_CODE).split("-")[0])
    )


def _extension_clean(value: str | None) -> str:
    extension = re.sub(r"\s+", "", value or "")
    if extension and not EXTENSION.match(extension):
        raise ValidationError(_("Enter the extension using digits only"), code="invalid")
    return extension


def _number_clean(form: forms.Form, cleaned: dict[str, Any]) -> None:
    """The number checked for its country: its E.164 and international forms, or an error."""
    number, country = cleaned.get("number"), cleaned.get("country")
    if not (number and country):
        return
    try:
        parsed = phone_number_parse(number, country)
    except ValidationError as error:
        form.add_error("number", error)
        return
    cleaned["phone_e164"] = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    cleaned["phone_international"] = phonenumbers.format_number(
        parsed, PhoneNumberFormat.INTERNATIONAL
    )
    region = phonenumbers.region_code_for_number(parsed)
    if region in phonenumbers.SUPPORTED_REGIONS:
        cleaned["country"] = region


# --- Forms -------------------------------------------------------------------------------


class ContactForm(forms.Form):
    """What every contact form has: the idempotency key and the request's language."""

    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)
    # The assistant conversation that led here (R-BOT), carried onto the ticket.
    conversation = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not is_idempotency_key(cleaned.get("idempotency_key")):
            self.add_error(
                None,
                ValidationError(
                    _("This form has expired. Check your answers and send it again."),
                    code="expired",
                ),
            )
            self.renew_idempotency_key()
        return cleaned

    def renew_idempotency_key(self) -> None:
        """A fresh key for the page shown again (the old one was unusable)."""
        self.data = _with_values(self.data, idempotency_key=new_idempotency_key())


def _language_field(**kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=support_language_choices,
        error_messages={
            "required": _("Choose a language"),
            "invalid_choice": _("Choose a language from the list"),
        },
        **kwargs,
    )


# A subject is one line: it becomes an email's Subject header, where a line break would make
# the message fail to send (or add headers of the sender's choosing).
one_line_validator = RegexValidator(
    r"[\x00-\x1f\x7f]",
    inverse_match=True,
    message=_("Write the subject on one line, without line breaks or special characters"),
    code="not_one_line",
)


def _subject_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=_("Subject"),
        max_length=SUBJECT_MAX,
        validators=[one_line_validator],
        error_messages={
            "required": _("Enter a subject"),
            "max_length": _("Subject must be %(limit_value)d characters or fewer"),
        },
        **kwargs,
    )


class ChatStartForm(ContactForm):
    """Language and the first message; the subject is made from the message."""

    language = _language_field(
        label=_("Language of the chat"),
        help_text=_("Chat is in English for every product area, and in Spanish for some."),
    )
    message = forms.CharField(
        label=_("What do you need help with?"),
        max_length=CHAT_MESSAGE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("This is your first message. The agent sees it as soon as they join."),
        error_messages={
            "required": _("Write what you need help with"),
            "max_length": _("Your message must be %(limit_value)d characters or fewer"),
        },
    )


class EmailRequestForm(ContactForm):
    language = _language_field(
        label=_("Language of the answer"),
        help_text=_("We answer in this language. English is answered at any time."),
    )
    subject = _subject_field(help_text=_("A few words, for example “Survey link shows an error”."))
    description = forms.CharField(
        label=_("Describe the question or problem"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What were you doing, what happened, and what did you expect?"),
        error_messages={
            "required": _("Describe the question or problem"),
            "max_length": _("Description must be %(limit_value)d characters or fewer"),
        },
    )
    attachments = AttachmentsField(
        label=_("Attachments (optional)"),
        help_text=_(
            "Up to 3 files, 10 MB each: PNG, JPEG, GIF, PDF, TXT, CSV, LOG or JSON. "
            "Screenshots and log files help us most."
        ),
        widget=MultipleFileInput(
            attrs={"accept": ".png,.jpg,.jpeg,.gif,.pdf,.txt,.csv,.log,.json"}
        ),
    )


class PhoneRequestForm(ContactForm):
    area = AreaChoiceField(
        label=_("Product area"),
        error_messages={
            "required": _("Choose a product area"),
            "invalid_choice": _("Choose a product area from the list"),
        },
    )
    language = _language_field(
        label=_("Language of the call"),
        help_text=_("The estimated wait below changes with the language and the product area."),
    )
    country = _country_field()
    number = _number_field()
    extension = _extension_field()
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send the confirmation here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
    )
    subject = _subject_field(
        help_text=_("A few words about the problem. It becomes the ticket’s description.")
    )
    account_access = forms.BooleanField(
        label=_("Support may log into my account if they need to"),
        required=False,
        help_text=_("You can withdraw this later from the ticket."),
    )
    recording_consent = forms.BooleanField(
        label=_("The call may be recorded for training and quality"),
        required=False,
        initial=True,
        help_text=_("Untick this to refuse. We will not record the call."),
    )
    # Set by the English-or-wait choice (R-FALLBACK): the page or the dialog was answered.
    english_choice_made = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        areas: Sequence[ProductArea] | None = None,
        language: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, AreaChoiceField)
        area_field.areas_set(areas if areas is not None else contact_areas())
        _countries_set(self, language)

    def clean_extension(self) -> str:
        return _extension_clean(self.cleaned_data.get("extension"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _number_clean(self, cleaned)
        return cleaned

    def show_number_back(self) -> None:
        """Show a valid number again in its international format (and its country)."""
        if getattr(self, "cleaned_data", None) and "phone_international" in self.cleaned_data:
            self.data = _with_values(
                self.data,
                number=self.cleaned_data["phone_international"],
                country=self.cleaned_data["country"],
            )


class CallbackChangeForm(forms.Form):
    """The number and the language of a callback that still waits."""

    country = _country_field()
    number = _number_field()
    extension = _extension_field()
    language = _language_field(
        label=_("Language of the call"),
        help_text=_("Another language may change how long you wait."),
    )

    def __init__(self, *args: Any, language: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _countries_set(self, language)

    @classmethod
    def initial_for(
        cls, *, phone_number: str, phone_extension: str, language: str
    ) -> dict[str, str]:
        """The form's first values: the number as it reads, its country, the language."""
        initial = {"number": phone_number_display(phone_number), "language": language}
        initial["extension"] = phone_extension
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone_number, None))
        except NumberParseException:
            region = None
        if region in phonenumbers.SUPPORTED_REGIONS:
            initial["country"] = region
        return initial

    def clean_extension(self) -> str:
        return _extension_clean(self.cleaned_data.get("extension"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _number_clean(self, cleaned)
        return cleaned


class ConferenceRequestForm(ContactForm):
    slot = forms.CharField(
        label=_("Date and time"),
        error_messages={"required": _("Choose a date and time for the call")},
    )
    screen_sharing = forms.BooleanField(
        label=_("I would like to share my screen during the call"),
        required=False,
        help_text=_("We send a link that lets you share your screen when the call starts."),
    )
    subject = _subject_field(help_text=_("What would you like to talk about?"))
    description = forms.CharField(
        label=_("Anything we should know before the call (optional)"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": _("This must be %(limit_value)d characters or fewer"),
        },
    )
    language = forms.ChoiceField(
        choices=support_language_choices, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def clean_slot(self) -> datetime:
        try:
            slot = datetime.strptime(self.cleaned_data["slot"], SLOT_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise ValidationError(
                _("Choose a date and time for the call"), code="invalid"
            ) from None
        # Only the window the page offers: a hand-made POST cannot book months ahead, and a
        # year like 9999 never reaches date arithmetic that would overflow.
        if not self.now < slot <= self.now + CONFERENCE_HORIZON:
            raise ValidationError(
                _("Choose one of the times shown: calls can be booked up to %(days)d days ahead."),
                code="outside_window",
                params={"days": CONFERENCE_HORIZON.days},
            )
        return slot


def contact_areas() -> list[ProductArea]:
    """Areas a callback can be about: active, and not handled by the Discover team, in order,
    with their translations (read once for the page: the form's choices and its own area)."""
    return [area for area in product_areas_active() if not area.redirects_to_discover]


def contact_area(areas: Sequence[ProductArea], slug: str) -> ProductArea:
    """The area of this address name among those; 404 when it is not one of them."""
    for area in areas:
        if area.slug == slug:
            return area
    raise Http404
