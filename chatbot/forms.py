"""The assistant's forms (a question, the Yes/No after an answer), the article pages'
"Was this helpful?", and marking a content gap answered."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chatbot.content import LANGUAGES
from chatbot.models import Feedback
from chatbot.services import MISSING_MAX_LENGTH, QUESTION_MAX_LENGTH
from tickets.forms import PlainTextInput


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=QUESTION_MAX_LENGTH,
        help_text=_("For example: “How do I send a reminder to people who have not answered?”"),
        # Drawn on every assistant page: written in Python, as the input template writes it.
        widget=PlainTextInput(
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


class ArticleVoteForm(forms.Form):
    answer = forms.ChoiceField(
        choices=Feedback.choices, error_messages={"required": _("Choose Yes or No")}
    )
    # No maxlength attribute: a reader who types more is told so, rather than cut off.
    missing = forms.CharField(
        label=_("What was missing? (optional)"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "true"}),
    )
    language = forms.ChoiceField(choices=[(code, code) for code in LANGUAGES], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["missing"].help_text = gettext(
            "Tell us what you were looking for, in up to %(limit)d characters. "
            "Do not include personal details."
        ) % {"limit": MISSING_MAX_LENGTH}


class IdListField(forms.Field):
    """Row ids sent as repeated hidden fields."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        try:
            return [int(v) for v in values]
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("Reload the report and try again."), "invalid") from error


class GapAnsweredForm(forms.Form):
    article = forms.SlugField(
        label=_("Answered by the article"),
        help_text=_("The article's slug, as in its address: pick one from the list or type it."),
        error_messages={
            "required": _("Enter the slug of the article that answers these"),
            "invalid": _("Enter an article's slug: letters, numbers and hyphens"),
        },
    )
    turn = IdListField(required=False)
    vote = IdListField(required=False)
