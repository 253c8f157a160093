"""The chat's forms: starting one from the method picker, and writing a message."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hub.flow.contact_forms import ContactForm, support_language_choices
from tickets.models import CHAT_MESSAGE_MAX_CHARS

CLIENT_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_client_key() -> str:
    return uuid.uuid4().hex


class ChatStartForm(ContactForm):
    """Language and the first message; the subject is made from the message."""

    language = forms.ChoiceField(
        label=_("Language of the chat"),
        choices=support_language_choices,
        help_text=_("Chat is in English for every product area, and in Spanish for some."),
        error_messages={
            "required": _("Choose a language"),
            "invalid_choice": _("Choose a language from the list"),
        },
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


class ChatMessageForm(forms.Form):
    """One message. The client key is made when the form is drawn: sending it twice (a
    double click, a retry after a dropped connection) makes one message."""

    body = forms.CharField(
        label=_("Your message"),
        max_length=CHAT_MESSAGE_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": CHAT_MESSAGE_MAX_CHARS}),
        error_messages={
            "required": _("Write a message"),
            "max_length": _("A message can be at most %(limit_value)d characters long"),
        },
    )
    client_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, prefix_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_key", new_client_key())
        # Ids that stay the same when htmx redraws the form, so focus stays in the box.
        self.auto_id = f"{prefix_id}-%s" if prefix_id else "id_%s"

    def clean_client_key(self) -> str:
        """A key that is not one of ours is no key: the message is still sent."""
        key = self.cleaned_data.get("client_key") or ""
        return key if CLIENT_KEY.match(key) else ""


class TranscriptForm(forms.Form):
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", new_client_key())
