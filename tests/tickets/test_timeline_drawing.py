"""The timeline drawn in Python (tickets/templatetags/ticket_timeline.py) is the HTML the
template loop drew, for every kind of entry, language and time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.utils import timezone, translation

from tickets.timeline import TimelineEntry

# The loop the tag replaced, as tickets/_timeline.html drew it.
TEMPLATE_LOOP = (
    '<ol class="timeline">{% for entry in timeline %}'
    '<li class="timeline__entry timeline__entry--{{ entry.kind }}'
    '{% if entry.by_support %} timeline__entry--support{% endif %}">'
    '<p class="timeline__head"><strong class="timeline__title">{{ entry.title }}</strong>'
    '{% if entry.by %} · <span class="timeline__by">{{ entry.by }}</span>{% endif %}'
    ' · <time datetime="{{ entry.at_iso }}">{{ entry.at|moment:"year short time" }}</time></p>'
    '{% if entry.detail %}<p class="timeline__detail">{{ entry.detail }}</p>{% endif %}'
    '{% if entry.message %}<blockquote class="timeline__message">'
    "{{ entry.message|linebreaksbr }}</blockquote>{% endif %}"
    "</li>{% endfor %}</ol>"
)


def _entry(kind: str, title: str, at: datetime, **words: str | bool) -> TimelineEntry:
    fields: dict[str, str | bool] = {"detail": "", "message": "", "by": "", "by_support": False}
    return TimelineEntry(kind=kind, title=title, at=at, **(fields | words))  # type: ignore[arg-type]


ENTRIES = [
    _entry(
        "created",
        "Request made",
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        detail="Contact method: Phone.",
    ),
    _entry(
        "comment",
        'Comment <added> & "quoted"',
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        message="First line\r\nsecond <b>line</b>\rthird & 'last'\n",
        by="Ann & Co <x@example.com>",
    ),
    _entry(
        "called_back",
        "Called back",
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        detail="The call lasted 4 minutes.",
        by="Ana (support)",
        by_support=True,
    ),
    _entry("chat<ended>", "Chat ended", datetime(2027, 1, 1, tzinfo=UTC), by_support=True),
]


def _between_tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize("language", ["en", "fr", "de", "ja"])
@pytest.mark.parametrize("zone", ["Europe/Rome", "America/Denver", "Asia/Kolkata"])
@pytest.mark.parametrize("count", [0, 1, len(ENTRIES)])
def test_the_timeline_drawn_in_python_is_the_html_the_template_loop_drew(
    language: str, zone: str, count: int
) -> None:
    engine = engines["django"]
    loop = engine.from_string(TEMPLATE_LOOP)
    tag = engine.from_string(
        '{% load ticket_timeline %}<ol class="timeline">{% timeline_entries timeline %}</ol>'
    )
    context = {"timeline": ENTRIES[:count]}
    with translation.override(language), timezone.override(ZoneInfo(zone)):
        drawn, expected = tag.render(context), loop.render(context)
    assert _between_tags(drawn) == _between_tags(expected)
    if count == len(ENTRIES):
        assert "second &lt;b&gt;line&lt;/b&gt;<br>third &amp; &#x27;last&#x27;<br>" in drawn
        assert "Ann &amp; Co &lt;x@example.com&gt;" in drawn
        assert "timeline__entry--chat&lt;ended&gt; timeline__entry--support" in drawn
