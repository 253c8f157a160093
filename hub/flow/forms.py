"""The question forms of the flow's steps, the Account Services intake (R-TEAM, R-ACCT) and
the Success Check intake of the "Your services" page.

The contact forms (email, phone, conference) live in ``contact_forms``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from routing.policy import ACCOUNT_TOPIC_LABELS, AccountTopic
from tickets.idempotency import is_idempotency_key, new_idempotency_key
from tickets.models import SuccessCheckTime, Team

ACCOUNT_DESCRIPTION_MAX = 2000


class QuestionRadios(forms.RadioSelect):
    """Radios whose field points at its first option, so an error summary link lands on it."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)


class TeamChoiceForm(forms.Form):
    """R-TEAM: the hub's first question, whose answer is the team the request is for."""

    team = forms.ChoiceField(
        label=_("How can we help?"),
        choices=[
            (Team.TECHNICAL.value, _("Get technical support")),
            (Team.ACCOUNT_SERVICES.value, _("Get account services support")),
        ],
        widget=QuestionRadios,
        error_messages={"required": _("Choose the kind of help you need")},
    )

    hints = {
        Team.TECHNICAL: _(
            "Something in the product does not work as expected, or you need help using it."
        ),
        Team.ACCOUNT_SERVICES: _(
            "Billing, renewals, licences, security forms, SMS credits or access to products "
            "and features."
        ),
    }


class AccountServicesForm(forms.Form):
    """R-ACCT: the short intake that becomes a ticket for the Account Services team."""

    topic = forms.ChoiceField(
        label=_("What is your request about?"),
        widget=QuestionRadios,
        error_messages={"required": _("Choose what your request is about")},
    )
    description = forms.CharField(
        label=_("Describe your request"),
        help_text=_(
            "Include any invoice, order or licence numbers. Do not include card details "
            "or passwords."
        ),
        max_length=ACCOUNT_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Describe your request"),
            "max_length": _("Describe your request in %(limit_value)d characters or fewer"),
        },
    )
    # One key per drawing of the form: a double click or a retried POST makes one ticket.
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, topics: Sequence[AccountTopic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["topic"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(topic.value, ACCOUNT_TOPIC_LABELS[topic]) for topic in topics]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean_idempotency_key(self) -> str:
        # A missing or mangled key gets a fresh one: the request still goes through, once.
        key = str(self.cleaned_data.get("idempotency_key") or "")
        return key if is_idempotency_key(key) else new_idempotency_key()

    @property
    def topic_label(self) -> str:
        return str(ACCOUNT_TOPIC_LABELS[AccountTopic(self.cleaned_data["topic"])])


SUCCESS_CHECK_REVIEW_MAX = 1000
SUCCESS_CHECK_NOTES_MAX = 2000
# How far ahead a Success Check can be asked for: the TSM plans a quarter at a time.
SUCCESS_CHECK_HORIZON = datetime.timedelta(days=92)


class IsoDateInput(forms.DateInput):
    """The browser's own date picker; without it (or without JavaScript) a typed
    YYYY-MM-DD date works too."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class SuccessCheckForm(forms.Form):
    """What the Technical Success Manager needs to plan a Success Check."""

    review = forms.CharField(
        label=_("What should the Success Check review?"),
        help_text=_(
            "For example: how your teams use dashboards, a programme you are about to "
            "launch, or your set-up after a change in your organisation."
        ),
        max_length=SUCCESS_CHECK_REVIEW_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": _("Say what the Success Check should review"),
            "max_length": _("Say what to review in %(limit_value)d characters or fewer"),
        },
    )
    earliest = forms.DateField(
        label=_("Earliest date"),
        help_text=_("For example, 2026-05-12."),
        widget=IsoDateInput(),
        error_messages={
            "required": _("Enter the earliest date that suits you"),
            "invalid": _("Enter the earliest date as a real date, for example 2026-05-12"),
        },
    )
    latest = forms.DateField(
        label=_("Latest date"),
        widget=IsoDateInput(),
        error_messages={
            "required": _("Enter the latest date that suits you"),
            "invalid": _("Enter the latest date as a real date, for example 2026-05-20"),
        },
    )
    time_of_day = forms.ChoiceField(
        label=_("What time of day suits you?"),
        choices=SuccessCheckTime.choices,
        widget=QuestionRadios,
        error_messages={"required": _("Choose the time of day that suits you")},
    )
    notes = forms.CharField(
        label=_("Anything else your Technical Success Manager should know (optional)"),
        required=False,
        max_length=SUCCESS_CHECK_NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": _("Write your notes in %(limit_value)d characters or fewer"),
        },
    )
    # One key per drawing of the form: a double click or a retried POST makes one ticket.
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, today: datetime.date, time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # Inside the question's fieldset, read out with it (aria-describedby).
        self.fields["time_of_day"].help_text = _("Times are in your time zone, %(zone)s.") % {
            "zone": time_zone
        }
        for name in ("earliest", "latest"):
            self.fields[name].widget.attrs.update(
                {
                    "min": today.isoformat(),
                    "max": (today + SUCCESS_CHECK_HORIZON).isoformat(),
                }
            )
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def clean_idempotency_key(self) -> str:
        # A missing or mangled key gets a fresh one: the request still goes through, once.
        key = str(self.cleaned_data.get("idempotency_key") or "")
        return key if is_idempotency_key(key) else new_idempotency_key()

    def clean_earliest(self) -> datetime.date:
        earliest: datetime.date = self.cleaned_data["earliest"]
        if earliest < self.today:
            raise forms.ValidationError(_("The earliest date must be today or later"))
        if earliest > self.today + SUCCESS_CHECK_HORIZON:
            raise forms.ValidationError(_("Choose dates in the next three months"))
        return earliest

    def clean_latest(self) -> datetime.date:
        latest: datetime.date = self.cleaned_data["latest"]
        if latest > self.today + SUCCESS_CHECK_HORIZON:
            raise forms.ValidationError(_("Choose dates in the next three months"))
        earliest = self.cleaned_data.get("earliest")
        if earliest is not None and latest < earliest:
            raise forms.ValidationError(
                _("The latest date must be the same as or after the earliest date")
            )
        return latest
