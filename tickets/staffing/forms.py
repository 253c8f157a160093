"""The staffing planner's choices: the week, the service level, the queue shown in full."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from routing.staffing import DEFAULT_ANSWER_WITHIN, DEFAULT_SHARE, ServiceTarget, week_start

DEFAULT_PERCENT = round(DEFAULT_SHARE * 100)
DEFAULT_MINUTES = int(DEFAULT_ANSWER_WITHIN.total_seconds() // 60)
PLANNABLE_FROM, PLANNABLE_UNTIL = date(2000, 1, 1), date(2099, 12, 31)


class StaffingPlanForm(forms.Form):
    """Read from the URL (GET), so a plan can be bookmarked and shared."""

    week = forms.DateField(
        label=_("Week"),
        help_text=_("Any day of the week; the plan runs from its Monday to its Sunday."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter a day of the week to plan"),
            "invalid": _("Enter the week as a real date, like 2026-11-30"),
        },
    )
    service_level = forms.IntegerField(
        label=_("Callbacks answered in time (%)"),
        min_value=1,
        max_value=99,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Enter the share of callbacks to answer in time"),
            "invalid": _("Enter the share answered in time as a whole number, like 80"),
            "min_value": _("The share answered in time must be between 1 and 99"),
            "max_value": _("The share answered in time must be between 1 and 99"),
        },
    )
    answer_within = forms.IntegerField(
        label=_("Answered within (minutes)"),
        min_value=1,
        max_value=240,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Enter the minutes within which callbacks are answered"),
            "invalid": _("Enter the minutes as a whole number, like 10"),
            "min_value": _("The minutes must be between 1 and 240"),
            "max_value": _("The minutes must be between 1 and 240"),
        },
    )
    queue = forms.ChoiceField(
        label=_("Queue shown half-hour by half-hour"),
        error_messages={"invalid_choice": _("Choose a queue from the list")},
    )

    def __init__(
        self, data: Mapping[str, Any], *, queues: Sequence[tuple[str, str]], today: date
    ) -> None:
        # A value missing from the URL reads as its default, shown in its box; one left
        # blank on purpose is an error, as any other.
        defaults = {
            "week": week_start(today).isoformat(),
            "service_level": str(DEFAULT_PERCENT),
            "answer_within": str(DEFAULT_MINUTES),
            "queue": queues[0][0] if queues else "",
        }
        super().__init__({**defaults, **{key: data[key] for key in defaults if key in data}})
        queue_field = self.fields["queue"]
        assert isinstance(queue_field, forms.ChoiceField)
        queue_field.choices = list(queues)

    def clean_week(self) -> date:
        week: date = self.cleaned_data["week"]
        if not PLANNABLE_FROM <= week <= PLANNABLE_UNTIL:
            raise forms.ValidationError(_("Enter a week between the years 2000 and 2099"))
        return week_start(week)

    def target(self) -> ServiceTarget:
        return ServiceTarget(
            share=self.cleaned_data["service_level"] / 100,
            answer_within=timedelta(minutes=self.cleaned_data["answer_within"]),
        )
