"""``{% timeline_entries timeline %}``: a ticket's timeline, drawn entry by entry in Python.

The ticket page and the agents' admin show every entry of a ticket's timeline. Drawn by a
loop in the template, each entry cost a dozen nodes, their lookups and escapes, and a date
filter: a fifth of what the ticket page's body cost to draw. Here each entry is one string
of escaped parts, the HTML the loop drew.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines

from hub.accounts.moments import moment_writer
from hub.escaping import escaped
from tickets.timeline import TimelineEntry

register = template.Library()


def _entry(entry: TimelineEntry, when: str) -> str:
    support = " timeline__entry--support" if entry.by_support else ""
    by = f' · <span class="timeline__by">{escaped(entry.by)}</span>' if entry.by else ""
    detail = f'<p class="timeline__detail">{escaped(entry.detail)}</p>' if entry.detail else ""
    message = ""
    if entry.message:
        # What the linebreaksbr filter writes: the person's line breaks kept as <br>.
        lines = escaped(normalize_newlines(entry.message)).replace("\n", "<br>")
        message = f'<blockquote class="timeline__message">{lines}</blockquote>'
    return (
        f'<li class="timeline__entry timeline__entry--{escaped(entry.kind)}{support}">'
        f'<p class="timeline__head"><strong class="timeline__title">{escaped(entry.title)}'
        f'</strong>{by} · <time datetime="{escaped(entry.at_iso)}">{escaped(when)}</time></p>'
        f"{detail}{message}</li>"
    )


@register.simple_tag
def timeline_entries(entries: Iterable[TimelineEntry]) -> SafeString:
    """Each entry as an ``<li>`` of ``<ol class="timeline">``, its moment in the reader's
    language and zone as ``moment:"year short time"`` writes it."""
    written = moment_writer("year short time")
    drawn = "\n".join(_entry(entry, written(entry.at)) for entry in entries)
    return mark_safe(drawn)  # noqa: S308 - every value in it is escaped
