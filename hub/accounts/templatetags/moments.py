"""``{{ value|moment:"weekday time zone" }}``: a date as the reader's language writes it.

Loaded for every template (settings' ``builtins``)."""

from __future__ import annotations

from django import template

from hub.accounts.moments import moment_words

register = template.Library()
register.filter("moment", moment_words)
