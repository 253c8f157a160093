"""``{% chrome "part" %}``: the layout around base.html's blocks, drawn once per process.

Drawn as a template, the layout cost about a quarter of a simple signed-in page such as
/hub/ (0.24 ms of 0.9 ms in process): six cached fragments and the nodes around them, each
looked up, rendered and joined on every request. What its
parts show depends only on the language, the reader's time zone and whether the reader is
signed in and staff; the rest is each request's own: its CSRF token, the reader's name and
address, and the page's address. So each part (``templates/_chrome.html``) is drawn once per
process for each of those keys, with a mark where each of the request's own values goes,
and each page puts its values, escaped, in place of the marks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django import template
from django.conf import settings
from django.template.context import Context
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.html import escape

from hub.drawings import Drawings

register = template.Library()

PARTS = frozenset({"head", "assets", "header", "footer"})

# Marks for the request's own values. Escaping leaves them as they are, and nothing else in
# the parts holds a NUL character.
_CSRF_MARK = "\x00csrf\x00"
_NAME_MARK = "\x00name\x00"
_EMAIL_MARK = "\x00email\x00"
_PATH_MARK = "\x00path\x00"


class _Reader(NamedTuple):
    """What this request's parts are drawn for, read once per page."""

    language: str
    zone: str
    signed_in: bool
    staff: bool
    user: Any
    csrf_token: str  # "" when the page has none


# Where a page keeps its reader while it is drawn (its render context).
_READER = "hub.chrome.reader"


def _reader(context: Context) -> _Reader:
    kept = context.render_context.get(_READER)
    if kept is None:
        user: Any = context.get("user")
        signed_in = bool(user is not None and user.is_authenticated)
        token = context.get("csrf_token")
        token = "" if token is None else str(token)
        kept = context.render_context[_READER] = _Reader(
            language=translation.get_language() or settings.LANGUAGE_CODE,
            zone=timezone.get_current_timezone_name(),
            signed_in=signed_in,
            staff=bool(signed_in and user.is_staff),
            user=user,
            csrf_token="" if token == "NOTPROVIDED" else token,
        )
    return kept


# Drawings by part, language, zone, signed in, staff and whether the page has a CSRF token.
# They draw addresses, static files and languages from the settings, which tests change.
_drawings: Drawings[tuple[str, str, str, bool, bool, bool], str] = Drawings(512)


def _drawn(part: str, reader: _Reader) -> str:
    def draw() -> str:
        with translation.override(reader.language):
            return str(
                get_template(f"_chrome.html#{part}").render(
                    {
                        "LANGUAGE_CODE": reader.language,
                        "TIME_ZONE": reader.zone,
                        "signed_in": reader.signed_in,
                        "staff": reader.staff,
                        # Without a token, {% csrf_token %} draws nothing, as on the page.
                        "csrf_token": _CSRF_MARK if reader.csrf_token else "",
                        "name": _NAME_MARK,
                        "email": _EMAIL_MARK,
                        "path": _PATH_MARK,
                    }
                )
            )

    key = (
        part,
        reader.language,
        reader.zone,
        reader.signed_in,
        reader.staff,
        bool(reader.csrf_token),
    )
    return _drawings.get(key, draw)


class ChromeNode(template.Node):
    def __init__(self, part: str) -> None:
        self.part = part

    def render(self, context: Context) -> str:
        reader = _reader(context)
        drawn = _drawn(self.part, reader)
        if reader.csrf_token:
            drawn = drawn.replace(_CSRF_MARK, escape(reader.csrf_token))
        if reader.signed_in and _NAME_MARK in drawn:
            user = reader.user
            drawn = drawn.replace(_NAME_MARK, escape(user.get_full_name() or user.email))
            drawn = drawn.replace(_EMAIL_MARK, escape(user.email))
        if _PATH_MARK in drawn:
            request = context.get("request")
            drawn = drawn.replace(_PATH_MARK, escape(request.get_full_path()) if request else "")
        return drawn


@register.tag
def chrome(parser: template.base.Parser, token: template.base.Token) -> ChromeNode:
    """``{% chrome "header" %}``: the layout's part for this request (the module's docstring)."""
    bits = token.split_contents()
    part = bits[1][1:-1] if len(bits) == 2 and bits[1][:1] in {'"', "'"} else ""
    if part not in PARTS:
        raise template.TemplateSyntaxError(
            f"{{% chrome %}} takes one of {', '.join(sorted(PARTS))}, quoted: {token.contents!r}"
        )
    return ChromeNode(part)
