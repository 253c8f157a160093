"""The question forms of the flow's steps, and the Account Services intake (R-TEAM, R-ACCT).

The contact forms (email, phone, conference) live in ``contact_forms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from routing.policy import ACCOUNT_TOPIC_LABELS, AccountTopic
from tickets.idempotency import is_idempotency_key, new_idempotency_key
from tickets.models import Team

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
