"""The chat's forms on its own pages: writing a message, asking for the transcript. (The
form that starts a chat is one of the flow's contact forms.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.idempotency import is_idempotency_key, new_idempotency_key
from tickets.models import CHAT_MESSAGE_MAX_CHARS


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
    # Posted by the "Send it again" button of the repeat question, never by Enter.
    repeat = forms.BooleanField(required=False)

    def __init__(self, *args: Any, prefix_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_key", new_idempotency_key())
        # Ids that stay the same when htmx redraws the form, so focus stays in the box.
        self.auto_id = f"{prefix_id}-%s" if prefix_id else "id_%s"
        # Set by the view when these words went out a moment ago: the form asks first.
        self.asks_to_repeat = False

    def clean_client_key(self) -> str:
        """A key that is not one of ours is no key: the message is still sent."""
        key = self.cleaned_data.get("client_key") or ""
        return key if is_idempotency_key(key) else ""


class TranscriptForm(forms.Form):
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", new_idempotency_key())
