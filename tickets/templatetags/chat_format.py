"""Chat messages as safe HTML: plain text, escaped, with http(s) links that leak nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from tickets.chat.selectors import speaker_name
from tickets.models import ChatMessage

register = template.Library()

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address it follows.
_TRAILING = ".,;:!?)]}»”’"


def _link(candidate: str) -> tuple[str, str]:
    """(the address, what follows it) or ("", candidate) when it is not a usable link."""
    address = candidate.rstrip(_TRAILING)
    # Keep a closing bracket that closes one opened inside the address (Wikipedia style).
    while candidate[len(address) : len(address) + 1] == ")" and address.count("(") > address.count(
        ")"
    ):
        address += ")"
    parts = urlsplit(address)
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return "", candidate
    return address, candidate[len(address) :]


@register.filter
def chat_text(value: str) -> SafeString:
    """Escape the text and turn http and https addresses into links (nofollow, no opener,
    no referrer). Line breaks are kept by the stylesheet (white-space: pre-wrap)."""
    pieces: list[str] = []
    last = 0
    for match in _URL.finditer(value or ""):
        address, rest = _link(match.group(0))
        pieces.append(escape(value[last : match.start()]))
        if address:
            pieces.append(
                format_html(
                    '<a href="{}" rel="nofollow noopener noreferrer">{}</a>', address, address
                )
            )
            pieces.append(escape(rest))
        else:
            pieces.append(escape(match.group(0)))
        last = match.end()
    pieces.append(escape((value or "")[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped or format_html


@register.filter
def chat_speaker(message: ChatMessage) -> str:
    return speaker_name(message)


@register.filter
def seen_recently(moment: datetime | None, seconds: int = 45) -> bool:
    return moment is not None and timezone.now() - moment <= timedelta(seconds=seconds)


@register.filter
def waiting_for(since: datetime) -> str:
    """How long a chat has waited, as a sentence: never "waiting 0 minutes"."""
    minutes = max(0, int((timezone.now() - since).total_seconds() // 60))
    if minutes < 1:
        return gettext("arrived just now")
    if minutes < 60:
        return ngettext("waiting %(count)d minute", "waiting %(count)d minutes", minutes) % {
            "count": minutes
        }
    hours = minutes // 60
    return ngettext("waiting %(count)d hour", "waiting %(count)d hours", hours) % {"count": hours}
