"""The assistant's two forms: a question, and the Yes/No after an answer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chatbot.models import Feedback
from chatbot.services import QUESTION_MAX_LENGTH


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=QUESTION_MAX_LENGTH,
        help_text=_("For example: “How do I send a reminder to people who have not answered?”"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "enterkeyhint": "send", "spellcheck": "true"}
        ),
        error_messages={
            "required": _("Type your question"),
            "max_length": _("Keep your question under %(limit_value)d characters"),
        },
    )
    conversation = forms.CharField(required=False, widget=forms.HiddenInput)


class FeedbackForm(forms.Form):
    conversation = forms.CharField(max_length=32)
    position = forms.IntegerField(min_value=1)
    answer = forms.ChoiceField(
        choices=Feedback.choices, error_messages={"required": _("Choose Yes or No")}
    )
