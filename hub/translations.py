"""Django's ``i18n`` tag library, each ``{% translate "…" %}`` of a quoted string remembered.

Django's tag makes a lazy translation of its string on every render, then turns it into text,
looks for dates and numbers to localise in it and escapes it if it is not safe: about four
microseconds a tag, and a ticket page draws about twenty of them. What it draws for a quoted
string depends only on the string and the active language, which are the key (a template's
quoted strings are safe, so their translations are never escaped), and on the translation
catalogues, which are loaded once per process (a settings change forgets everything
remembered). A variable, a filter, a message context, ``noop`` or ``as`` is translated
every time, as Django does.

The library is installed under Django's name (``TEMPLATES`` in settings, ``libraries``), so
every template's ``{% load i18n %}`` loads it; every other tag and filter is Django's own.
"""

from __future__ import annotations

from django import template
from django.template.base import Parser, Token
from django.template.context import Context
from django.templatetags import i18n as django_i18n
from django.utils import translation

from hub.drawings import Drawings

register = template.Library()
register.tags.update(django_i18n.register.tags)
register.filters.update(django_i18n.register.filters)

# Translations drawn, by language and string. The strings are the templates' own, so the
# keys are bounded. The languages, the catalogues' places and the installed apps are
# settings, which tests change.
_drawn: Drawings[tuple[str | None, str], str] = Drawings(16_384)


class RememberedTranslateNode(django_i18n.TranslateNode):
    def render(self, context: Context) -> str:
        expression = self.filter_expression
        if (
            self.noop
            or self.asvar
            or self.message_context is not None
            or expression.filters
            or expression.var.lookups is not None
        ):
            return str(super().render(context))
        key = (translation.get_language(), str(expression.var.literal))
        return _drawn.get(key, lambda: django_i18n.TranslateNode.render(self, context))


@register.tag("translate")
@register.tag("trans")
def translate(parser: Parser, token: Token) -> RememberedTranslateNode:
    """Django's ``{% translate %}``, a quoted string's translation remembered (see the
    module's docstring)."""
    node = django_i18n.do_translate(parser, token)
    return RememberedTranslateNode(
        node.filter_expression, node.noop, node.asvar, node.message_context
    )
