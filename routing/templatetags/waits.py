"""A wait in words, for every page and email that quotes one."""

from __future__ import annotations

from django import template

from routing.waits import duration_words

register = template.Library()
register.filter("duration", duration_words)
