from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    account_access = forms.TypedChoiceField(
        label=_("May support log into your account if they need to?"),
        help_text=_("You can change this later from the ticket page."),
        choices=[
            ("yes", _("Yes, support may log into my account")),
            ("no", _("No, support must not log into my account")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether support may log into your account.")},
    )
